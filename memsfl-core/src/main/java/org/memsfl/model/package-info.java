/**
 * Decoder-only language models (llama and gpt2 families) over frozen libtorch weights, their configs, loaders
 * (llama2.c, Hugging Face directories, random shape presets) and model resolution. A model runs any contiguous
 * range of its layers, which is what the device and server segments of split learning are made of. Adapters reach a
 * forward pass through {@link org.memsfl.model.Adapters} (implemented by {@code lora.AdapterSet}): the model package
 * does not depend on the adapter package, which depends on it.
 *
 * <p>The llama family covers the checkpoint types that differ from Llama-2 in small, named ways ({@link
 * org.memsfl.model.ModelVariant}: Qwen3, Gemma-2/3, Phi-3, RoPE scaling, sliding windows). They are hand-written
 * here rather than taken from a library because no Java library runs these blocks over libtorch with per-call
 * adapters and arbitrary layer ranges; each follows the transformers modeling file of its type and is checked
 * against a float64 oracle in the tests.
 */
package org.memsfl.model;
