package org.memsfl.grpc;

import java.util.Objects;

/**
 * What the server assigns one registered device (DESIGN.md section 7): its cut, why, and the fleet's
 * {@link TrainingTerms}. The domain form of the proto {@code Assignment} ({@link RegistrationCodec} converts).
 *
 * @param deviceId  the registered device
 * @param cut       the device holds the embedding and layers [0, cut); in [1, numLayers - 1]
 * @param cutReason the planner's one-line explanation, or that the server set the cut
 * @param terms     what every device of the fleet trains, and how
 */
public record DeviceAssignment(String deviceId, int cut, String cutReason, TrainingTerms terms) {

    public DeviceAssignment {
        Objects.requireNonNull(terms, "terms");
        if (deviceId == null || deviceId.isBlank()) {
            throw new IllegalArgumentException("device_id must be set");
        }
        if (cut < 1 || cut >= terms.numLayers()) {
            throw new IllegalArgumentException("cut_layer " + cut + " is out of range: the model has "
                    + terms.numLayers() + " layers, so a cut is in [1, " + (terms.numLayers() - 1) + "]");
        }
        cutReason = cutReason == null ? "" : cutReason;
    }
}
