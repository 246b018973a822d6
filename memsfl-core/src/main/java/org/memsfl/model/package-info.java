/**
 * Decoder-only language models (llama and gpt2 families) over frozen libtorch weights, their configs, loaders
 * (llama2.c, Hugging Face directories, random shape presets) and model resolution. A model runs any contiguous
 * range of its layers, which is what the device and server segments of split learning are made of. Adapters reach a
 * forward pass through {@link org.memsfl.model.Adapters} (implemented by {@code lora.AdapterSet}): the model package
 * does not depend on the adapter package, which depends on it.
 */
package org.memsfl.model;
