/**
 * Task metrics for generated text, pure Java (no libtorch): corpus BLEU-4 and NIST as the E2E NLG Challenge scores
 * them (NIST mteval-v13a, all references of a meaning representation together), METEOR, ROUGE-L and CIDEr-D as the
 * MS-COCO caption evaluation code computes them, and GSM8K exact match of the final number.
 *
 * <p>Why hand-written: no maintained Java library on Maven Central implements these with the conventions the
 * published E2E and GSM8K numbers use. The reference implementations are a Perl script (mteval), Python
 * (pycocoevalcap, lm-evaluation-harness) and METEOR 1.5, a jar that is not on Maven Central and needs its
 * paraphrase tables. Each class says which implementation's tokenization, casing and smoothing it follows and where
 * it departs from it.
 *
 * <p>Inputs are {@link org.memsfl.metrics.Prediction}s (prompt, references, prediction); {@link
 * org.memsfl.metrics.PredictionsFile} reads and writes them as {@code predictions.jsonl}; {@link
 * org.memsfl.metrics.Metric} names the metrics and {@link org.memsfl.metrics.TaskMetrics} picks them per dataset.
 */
package org.memsfl.metrics;
