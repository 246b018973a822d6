package org.memsfl.model;

/**
 * Which parts of a model a process holds: the token embedding, the blocks {@code [from, to)}, and the final norm
 * plus LM head. A device segment with cut c is {@code (true, 0, c, false)}; the edge server holds everything.
 */
public record LayerRange(boolean embedding, int from, int to, boolean head) {

    public LayerRange {
        if (from < 0 || to < from) {
            throw new IllegalArgumentException("layer range must satisfy 0 <= from <= to, got [" + from + ", " + to + ")");
        }
    }

    public static LayerRange all(int nLayers) {
        return new LayerRange(true, 0, nLayers, true);
    }

    /** Embedding plus layers {@code [0, cut)}: what a device with this cut layer holds. */
    public static LayerRange deviceSegment(int cut) {
        return new LayerRange(true, 0, cut, false);
    }

    /** Layers {@code [cut, nLayers)} plus norm and head: the server side of one device's split. */
    public static LayerRange serverSegment(int cut, int nLayers) {
        return new LayerRange(false, cut, nLayers, true);
    }

    public boolean holdsLayer(int layer) {
        return layer >= from && layer < to;
    }

    public int layers() {
        return to - from;
    }
}
