package org.memsfl.train;

/** What one optimizer step reports: mean loss over its target tokens, their count, the pre-clip gradient norm. */
public record StepResult(double loss, long targetTokens, double gradNorm, double lr) {
}
