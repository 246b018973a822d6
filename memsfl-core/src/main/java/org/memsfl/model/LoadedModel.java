package org.memsfl.model;

import org.memsfl.tokenizer.Tokenizer;
import org.memsfl.util.BadInputException;

/**
 * What {@link ModelResolver} hands back: the model (or the part of it a process holds), its tokenizer, a stable id
 * for logs and reports, and the config.
 *
 * @param model     the loaded model part
 * @param tokenizer the model's tokenizer, or null when none is known (random models whose preset has no tokenizer,
 *                  a llama2.c checkpoint without a tokenizer file beside it); see {@link #requireTokenizer()}
 * @param id        the spec it was resolved from, normalised (e.g. {@code random:tiny-gpt2@0}, {@code stories260K})
 * @param config    equal to {@code model.config()}
 */
public record LoadedModel(DecoderModel model, Tokenizer tokenizer, String id, ModelConfig config)
        implements AutoCloseable {

    public LoadedModel {
        if (model == null) {
            throw new IllegalArgumentException("model must be set");
        }
        if (id == null || id.isBlank()) {
            throw new IllegalArgumentException("id must be set");
        }
        if (config == null || !config.equals(model.config())) {
            throw new IllegalArgumentException("config " + config + " is not the model's " + model.config());
        }
    }

    /** The tokenizer, for callers that must turn text into ids. */
    public Tokenizer requireTokenizer() {
        if (tokenizer == null) {
            throw new BadInputException("model '" + id + "' has no tokenizer; use a model that ships one (tok512.bin or "
                    + "tokenizer.bin beside a llama2.c checkpoint, tokenizer.json or vocab.json + merges.txt in a "
                    + "Hugging Face directory)");
        }
        return tokenizer;
    }

    @Override
    public void close() {
        model.close();
    }
}
