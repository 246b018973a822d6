package org.memsfl.train;

/** Held-out quality: mean nats per target token, its exponential, and how many tokens were scored. */
public record EvalResult(double loss, double perplexity, long tokens) {
}
