package org.memsfl.engine;

import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;

/**
 * Frees every native object created inside it when closed. The JVM's GC frees libtorch memory late and
 * unpredictably, so each training step, evaluation batch and generated token runs inside one of these.
 */
public final class NativeScope implements AutoCloseable {

    private final PointerScope outer = PointerScope.getInnerScope();
    private final PointerScope scope = new PointerScope();

    /** Keeps {@code p} alive past this scope (the caller now owns it and must close it). */
    public <P extends Pointer> P keep(P p) {
        // detach() releases the reference the scope took; retain first so the object survives the scope
        p.retainReference();
        scope.detach(p);
        return p;
    }

    /**
     * Moves {@code p} out of this scope into the enclosing one, which frees it when it closes (without an enclosing
     * scope the caller owns it, as with {@link #keep}). A layer run in its own scope thus frees its intermediate
     * handles at once while its output lives on; tensors autograd saved for backward are held by the graph itself.
     */
    public <P extends Pointer> P escape(P p) {
        keep(p);
        if (outer != null) {
            outer.attach(p);      // the enclosing scope's reference
            p.releaseReference(); // drop the one keep() took
        }
        return p;
    }

    @Override
    public void close() {
        scope.close();
    }
}
