/**
 * Federated aggregation of split LoRA adapters (DESIGN.md section 1), in Flower's vocabulary: a
 * {@link org.memsfl.fed.AggregationStrategy strategy} {@code aggregate}s the {@link org.memsfl.fed.ClientUpdate
 * updates} of the clients that finished a round, each weighted by its {@code numExamples}.
 *
 * <p>Device u trains the embedding adapter (when targeted) and layers {@code [0, cut_u)}; the server holds u's
 * adapters for layers {@code [cut_u, N)}. Aggregation works per adapter key ({@code embed} or
 * {@code layers.<i>.<module>}), wherever each client holds that key, so clients with different cuts still combine:
 * layer 2 on one client's device and on another client's server side are averaged together.
 *
 * <ul>
 *   <li>{@code fedavg} ({@link org.memsfl.fed.FedAvg}, the default): per-layer FedAvg of A and B over every client
 *       holding the key, on either side.</li>
 *   <li>{@code client-only} ({@link org.memsfl.fed.ClientOnlyAvg}): SplitLoRA-style, only device-side adapters are
 *       averaged; server-side adapters stay per client.</li>
 *   <li>{@code svd} ({@link org.memsfl.fed.SvdAggregation}): FlexLoRA-style (Bai et al. 2024), the weighted mean of
 *       the dense products B·A re-factorised to rank r by a truncated SVD.</li>
 *   <li>{@code fedmedian} ({@link org.memsfl.fed.FedMedian}) and {@code fedtrimmedavg[:beta]}
 *       ({@link org.memsfl.fed.FedTrimmedAvg}): Flower's robust strategies, coordinate-wise median and trimmed mean
 *       of A and of B, unweighted, so that a few hostile clients (huge values, huge claimed {@code num_examples})
 *       cannot pull the result far. Written by hand (a few lines over sorted doubles) because the library that has
 *       them is Python.</li>
 * </ul>
 *
 * <p>Weights always renormalise over the clients present: a dropped client is simply left out of the list, and a key
 * held by only some clients is averaged over those only. Results are fresh float32 leaves; the caller copies them
 * into its live adapters with {@link org.memsfl.fed.AggregationResult#assignTo(ClientUpdate)} or
 * {@link org.memsfl.lora.AdapterSet#assign}.
 */
package org.memsfl.fed;
