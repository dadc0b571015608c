"""The transition prior: an untrained model with it predicts what first-order Markov predicts, and it round-trips."""

import pandas as pd
import torch

from persona_dagster.sessionbert.baselines import MarkovBaseline
from persona_dagster.sessionbert.examples import next_activity_examples, split_by_time
from persona_dagster.sessionbert.finetune import finetune_next_activity, predict_next_activity
from persona_dagster.sessionbert.next_activity import NextActivityModel
from persona_dagster.sessionbert.tokenizer import train_tokenizer
from persona_dagster.sessionbert.toy import toy_sessions
from persona_dagster.sessionbert.training import TrainConfig


def test_before_training_the_prior_makes_the_model_predict_like_markov(tmp_path):
    train, test = split_by_time(next_activity_examples(toy_sessions(300, seed=2)), quantile=0.7)
    tokenizer = train_tokenizer(list(train["text"]) + list(test["text"]), 1000)
    # lr 0 leaves the zero-initialised heads at zero: the logits are the prior alone.
    tuned = finetune_next_activity(train, tokenizer, tmp_path, None,
                                   TrainConfig(max_steps=1, lr=0.0, max_len=64, cpu_threads=1), preset="tiny")
    model = tuned.model.eval()
    ours = predict_next_activity(model, tokenizer, list(test["text"]))
    markov = MarkovBaseline().fit(train).predict(test)
    # The prior is smoothed, so a predecessor seen once may tie differently; nearly every prediction agrees.
    for task in ("service", "page"):
        agree = sum(a == b for a, b in zip(ours[task], markov[task])) / len(test)
        assert agree > 0.9, (task, agree)
    loaded = NextActivityModel.from_pretrained(tuned.model_dir).eval()
    assert loaded.prior_tasks == ("service", "page")
    assert predict_next_activity(loaded, tokenizer, list(test["text"])) == ours
    without = finetune_next_activity(train, tokenizer, tmp_path / "plain", None,
                                     TrainConfig(max_steps=1, lr=0.0, max_len=64, cpu_threads=1), preset="tiny",
                                     markov_prior=False)
    assert without.model.prior_tasks == ()
    assert isinstance(pd.DataFrame(ours), pd.DataFrame) and torch.is_tensor(loaded.prior_service)
