/**
 * LoRA (Hu et al., "LoRA: Low-Rank Adaptation of Large Language Models", 2021): adapter configs, adapter sets
 * keyed per layer and module, the low-rank update applied beside a frozen linear, merge/unmerge into the base
 * weights, and adapter files (memsfl's own safetensors + JSON, and the PEFT layout).
 */
package org.memsfl.lora;
