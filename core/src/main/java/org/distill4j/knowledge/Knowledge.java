package org.distill4j.knowledge;

import org.distill4j.model.Outputs;

/**
 * What the teacher hands over for one batch: its outputs (logits and any taps the losses
 * asked for), computed live or read from a store. Never carries gradients.
 *
 * @param outputs the teacher's taps for the batch, rows aligned with the batch's samples
 */
public record Knowledge(Outputs outputs) {
    /** No teacher: methods that need none (plain training) receive this. */
    public static final Knowledge NONE = new Knowledge(null);

    public boolean present() {
        return outputs != null;
    }
}
