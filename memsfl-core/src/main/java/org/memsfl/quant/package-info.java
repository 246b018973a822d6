/**
 * Storage of frozen weights below float32: int8 with one absmax scale per output channel (LLM.int8()'s vector-wise
 * quantization, Dettmers et al., 2022) and 4-bit NormalFloat with block-wise absmax and double quantization of the
 * absmax constants (QLoRA, Dettmers et al., 2023). A device keeps its segment's linear weights in one of these forms
 * and dequantizes one layer at a time for compute; LoRA trains in float32 on top.
 *
 * <p>Written here rather than taken from a library: the quantizers used with LoRA (bitsandbytes) are CUDA/Python
 * libraries with no Java binding, and libtorch's own quantized tensors have no NF4 type and no per-block double
 * quantization. The formats are small and follow the papers' definitions; the tests check them against independent
 * plain-Java implementations.
 */
package org.memsfl.quant;
