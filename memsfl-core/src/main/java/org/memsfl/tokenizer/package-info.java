/** Tokenizers: llama2.c tok512.bin, Hugging Face tokenizer.json (DJL, offline), GPT-2 byte-level BPE. */
package org.memsfl.tokenizer;
