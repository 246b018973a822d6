package org.memsfl.model;

import java.net.URI;
import java.util.Map;

/**
 * A model memsfl can fetch by name: the files of its directory with their sha256, the file that is the checkpoint,
 * and the public directory they come from.
 *
 * @param name       the name users type, also the directory name under {@code models/}
 * @param checkpoint the file (llama2.c) to load, or null when the directory itself is a Hugging Face model
 * @param files      file name to lower-case hex sha256, for every file the model needs
 * @param origin     public directory URL the files are downloaded from (ends in '/'), or null when there is none
 */
public record KnownModel(String name, String checkpoint, Map<String, String> files, URI origin) {

    public KnownModel {
        if (name == null || name.isBlank() || name.contains("/") || name.contains(":")) {
            throw new IllegalArgumentException("known model names are plain words, got '" + name + "'");
        }
        files = Map.copyOf(files);
        if (files.isEmpty()) {
            throw new IllegalArgumentException(name + ": a known model has files");
        }
        if (checkpoint != null && !files.containsKey(checkpoint)) {
            throw new IllegalArgumentException(name + ": checkpoint " + checkpoint + " is not among its files");
        }
        for (Map.Entry<String, String> e : files.entrySet()) {
            if (!e.getValue().matches("[0-9a-f]{64}")) {
                throw new IllegalArgumentException(name + "/" + e.getKey() + ": sha256 must be 64 hex digits");
            }
        }
        if (origin != null && !origin.toString().endsWith("/")) {
            throw new IllegalArgumentException(name + ": origin must be a directory URL ending in '/', got " + origin);
        }
    }
}
