package org.memsfl.train;

import org.bytedeco.pytorch.BoolOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorArrayRefOptional;
import org.bytedeco.pytorch.global.torch;
import org.memsfl.engine.NativeScope;
import org.memsfl.engine.Tensors;
import org.memsfl.model.DecoderModel;
import org.memsfl.model.ForwardContext;

/**
 * Final norm, LM head and cross entropy, forward and backward, a chunk of target tokens at a time, so that the full
 * (rows, T, vocab) logits and their gradient never exist at once. The idea is the "chunked" or "fused linear cross
 * entropy" of memory-efficient trainers (e.g. Liger-Kernel's FusedLinearCrossEntropy, Wijmans et al., "Cut Your
 * Losses in Large-Vocabulary Language Models", 2024): the head and loss are per token, so the gradient of the summed
 * loss with respect to each token's hidden state depends only on that token, and a chunk's backward gives exactly the
 * gradient of those tokens. Positions whose target is {@link Loss#IGNORE} (prompt, padding) carry no loss and get a
 * zero gradient; they are never pushed through the head at all.
 *
 * <p>The gradient of a chunk's summed cross entropy with respect to its logits is written directly, softmax minus
 * one-hot (the standard result, e.g. Goodfellow et al., "Deep Learning", section 6.2.2.3), into the buffer of the
 * float32 log-probabilities that give the loss, then scaled by one over the target count.
 *
 * <p>Peak workspace: the selected hidden rows of one chunk, the chunk's logits and that one gradient buffer, that is
 * 2 x chunk x vocab elements (for half-precision compute also the half logits and their gradient), plus one
 * (rows, T, d) gradient buffer. The head itself has no adapter (LoRA targets are layer modules and the embedding), so no
 * parameter gradient crosses chunks.
 */
public final class ChunkedHeadLoss {

    /**
     * Bytes of one chunk's logits: 8 MiB keeps the head's workspace (four chunk-sized tensors) near 32 MiB at any
     * vocabulary, while a chunk is still 41 tokens at GPT-2's vocabulary in float32, enough rows for the head's GEMM.
     */
    public static final long CHUNK_LOGIT_BYTES = 8L << 20;

    private ChunkedHeadLoss() {
    }

    /**
     * @param loss summed loss over the batch's target tokens divided by the caller's divisor
     * @param grad (rows, T, d) gradient of that loss with respect to the final hidden state; the caller owns it
     */
    public record Result(double loss, Tensor grad) {
    }

    /**
     * Bytes of one chunk's logits in a whole-model training step ({@link #backward}): 32 MiB, 167 tokens at GPT-2's
     * vocabulary in float32. Fewer, larger chunks re-read the (vocab, d) head weight fewer times; at B=4, T=128 this
     * step's head and loss ran 1.3x faster than with 8 MiB chunks, and 1.5x faster than the unchunked head, whose
     * fresh (rows, T, vocab) logits and gradient cost page faults on every step. The split server keeps
     * {@link #CHUNK_LOGIT_BYTES}: there memory is the point.
     */
    public static final long TRAINING_CHUNK_LOGIT_BYTES = 32L << 20;

    /** Target tokens per chunk at this vocabulary and element width: {@link #CHUNK_LOGIT_BYTES} of logits, at least 1. */
    public static int chunkTokens(long vocab, int elementBytes) {
        return chunkTokens(vocab, elementBytes, CHUNK_LOGIT_BYTES);
    }

    /** Target tokens per chunk whose logits take at most {@code chunkBytes}, at least 1. */
    public static int chunkTokens(long vocab, int elementBytes, long chunkBytes) {
        if (vocab < 1 || elementBytes < 1 || chunkBytes < 1) {
            throw new IllegalArgumentException("vocab, element bytes and chunk bytes must be >= 1, got " + vocab + ", "
                    + elementBytes + ", " + chunkBytes);
        }
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, chunkBytes / (vocab * elementBytes)));
    }

    /**
     * The head and mean cross entropy of a training step, back-propagated into {@code hidden}'s graph: the loss over
     * the batch's target tokens is computed a chunk at a time ({@link #TRAINING_CHUNK_LOGIT_BYTES}), then
     * {@code hidden.backward(d loss / d hidden)} carries the exact gradient into the layers and their adapters. Same
     * value and gradient as {@code Loss.crossEntropy(model.head(hidden, ctx), targets).backward()} up to float
     * summation order.
     *
     * @param hidden  (rows, T, d) final hidden state, part of an autograd graph
     * @param targets (rows, T) int64, {@link Loss#IGNORE} where no loss is taken
     * @return mean loss over the target tokens (NaN when there are none, as the unchunked mean gives)
     */
    public static double backward(DecoderModel model, Tensor hidden, Tensor targets, ForwardContext ctx) {
        return backward(model, hidden, targets, ctx,
                chunkTokens(model.config().vocabSize(), Float.BYTES, TRAINING_CHUNK_LOGIT_BYTES)); // fp32 loss
    }

    /** As {@link #backward(DecoderModel, Tensor, Tensor, ForwardContext)} with a given chunk, >= 1 target tokens. */
    public static double backward(DecoderModel model, Tensor hidden, Tensor targets, ForwardContext ctx,
                                  int chunkTokens) {
        try (NativeScope scope = new NativeScope()) {
            long count = targets.ne(Tensors.scalar(Loss.IGNORE)).sum().item().toLong();
            if (count == 0) {
                return Double.NaN;
            }
            Result r = lossAndGradient(model, hidden, targets, count, ctx, chunkTokens);
            hidden.backward(r.grad(), new BoolOptional(), false, new TensorArrayRefOptional()); // r.grad() freed with scope
            return r.loss();
        }
    }

    /**
     * Whether a (rows, T, d) hidden state needs chunks: its full (rows, T, vocab) logits would be larger than one chunk
     * ({@link #CHUNK_LOGIT_BYTES}). Below that the whole head holds no more than one chunk would, and runs the
     * arithmetic of the unchunked head exactly (the same GEMM shapes and sums as the baselines' servers).
     */
    public static boolean needsChunks(DecoderModel model, Tensor hidden) {
        return hidden.size(0) * hidden.size(1) > chunkTokens(model.config().vocabSize(), (int) hidden.element_size());
    }

    /** As {@link #lossAndGradient(DecoderModel, Tensor, Tensor, double, ForwardContext, int)} with {@link #chunkTokens}. */
    public static Result lossAndGradient(DecoderModel model, Tensor hidden, Tensor targets, double divisor,
                                         ForwardContext ctx) {
        return lossAndGradient(model, hidden, targets, divisor, ctx,
                chunkTokens(model.config().vocabSize(), (int) hidden.element_size()));
    }

    /**
     * Loss and gradient of {@code sum over target tokens of CE(head(hidden)) / divisor}.
     *
     * @param model       holds the final norm and the head
     * @param hidden      (rows, T, d) final hidden state; only read (its graph, if any, is not touched)
     * @param targets     (rows, T) int64, {@link Loss#IGNORE} where no loss is taken
     * @param divisor     > 0, usually the batch's target count
     * @param ctx         forward context passed to the head
     * @param chunkTokens target tokens through the head at a time, >= 1
     */
    public static Result lossAndGradient(DecoderModel model, Tensor hidden, Tensor targets, double divisor,
                                         ForwardContext ctx, int chunkTokens) {
        if (!(divisor > 0)) {
            throw new IllegalArgumentException("divisor must be > 0, got " + divisor);
        }
        if (chunkTokens < 1) {
            throw new IllegalArgumentException("chunk tokens must be >= 1, got " + chunkTokens);
        }
        long d = hidden.size(2);
        Tensor grad = torch.zeros_like(hidden).detach();              // (rows, T, d), returned
        double loss = 0;
        try (NativeScope scope = new NativeScope()) {
            Tensor flat = hidden.detach().reshape(-1, d);              // (rows*T, d)
            Tensor gradFlat = grad.view(-1, d);                        // (rows*T, d), a view of grad
            Tensor targetFlat = targets.reshape(-1);                   // (rows*T)
            Tensor positions = torch.nonzero(targetFlat.ne(Tensors.scalar(Loss.IGNORE))).reshape(-1); // (k) int64
            long k = positions.size(0);
            for (long from = 0; from < k; from += chunkTokens) {
                long n = Math.min(chunkTokens, k - from);
                try (NativeScope chunk = new NativeScope()) {
                    Tensor rows = positions.narrow(0, from, n);        // (n)
                    Tensor x = flat.index_select(0, rows).unsqueeze(0); // (1, n, d): a leaf of the chunk's graph
                    x.set_requires_grad(true);
                    Tensor logits = Loss.fp32(model.head(x, ctx)).view(n, -1); // (n, V), float32 or float64
                    Tensor target = targetFlat.index_select(0, rows).view(n, 1);
                    // d CE / d logits = softmax - one-hot, written into the log-probabilities' own buffer: two
                    // (n, V) tensors instead of autograd's four (log-probabilities, the loss gradient's zero fill,
                    // its scatter and log_softmax's backward)
                    Tensor g = torch.log_softmax(logits.detach(), 1);                          // (n, V)
                    loss -= g.gather(1, target).sum().item().toDouble() / divisor;
                    g.exp_();                                                                      // softmax
                    g.scatter_(1, target, g.gather(1, target).sub(Tensors.scalar(1.0)));           // minus one-hot
                    g.mul_(Tensors.scalar(1.0 / divisor));
                    logits.backward(g, new BoolOptional(), false, new TensorArrayRefOptional());
                    gradFlat.index_copy_(0, rows, x.grad().view(-1, d));
                }
            }
        }
        return new Result(loss, grad);
    }
}
