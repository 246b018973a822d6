/** Training and evaluation over a (possibly split) model: loss, AdamW, clipping, warm-up, eval, generation. */
package org.memsfl.train;
