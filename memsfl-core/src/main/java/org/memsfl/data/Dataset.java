package org.memsfl.data;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** A named dataset with its train and eval examples. */
public record Dataset(String name, List<Example> train, List<Example> eval) {

    public Dataset {
        Objects.requireNonNull(name, "name must not be null");
        train = List.copyOf(train);
        eval = List.copyOf(eval);
        if (train.isEmpty()) {
            throw new IllegalArgumentException("train must not be empty, dataset " + name + " has no train examples");
        }
    }

    /** Train then eval, for callers that partition or split everything themselves. */
    public List<Example> all() {
        List<Example> all = new ArrayList<>(train.size() + eval.size());
        all.addAll(train);
        all.addAll(eval);
        return all;
    }
}
