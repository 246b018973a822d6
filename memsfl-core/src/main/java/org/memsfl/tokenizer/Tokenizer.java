package org.memsfl.tokenizer;

import java.util.OptionalInt;

/**
 * Text to token ids and back. Implementations: the llama2.c {@code tok512.bin} reader, Hugging Face
 * {@code tokenizer.json} (through DJL, offline) and GPT-2 byte-level BPE from {@code vocab.json} + {@code merges.txt}.
 */
public interface Tokenizer {

    /** Token ids of {@code text}, without BOS/EOS; callers add those through {@link #bosId()}/{@link #eosId()}. */
    int[] encode(String text);

    /** Text of {@code ids}; special tokens (BOS/EOS/pad) are skipped. */
    String decode(int[] ids);

    /** Number of ids this tokenizer can produce. */
    int vocabSize();

    /** Beginning-of-sequence id, if the tokenizer has one. */
    OptionalInt bosId();

    /** End-of-sequence id, if the tokenizer has one. */
    OptionalInt eosId();

    /**
     * Whether the checkpoint's own tokenizer puts BOS before a text it encodes with its special tokens (Hugging Face's
     * {@code add_special_tokens=True}): {@code add_bos_token} where the tokenizer config sets it, else the
     * {@code tokenizer.json} post-processor's template; never without a BOS token ({@code "bos_token": null}).
     */
    default boolean addsBos() {
        return false;
    }

    /** As {@link #addsBos()} for EOS after the text ({@code add_eos_token}, or the template's suffix). */
    default boolean addsEos() {
        return false;
    }
}
