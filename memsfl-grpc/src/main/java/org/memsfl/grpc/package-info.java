/**
 * Deployment over gRPC (DESIGN.md section 7): the edge server ({@link org.memsfl.grpc.EdgeServer}) and the device
 * process ({@link org.memsfl.grpc.DeviceClient}) as a second transport for the core round
 * ({@code org.memsfl.round.SplitServer} and {@code SplitDevice}), which the simulator drives in process. This package
 * owns the protocol ({@code memsfl.proto}), the chunked tensor codec, TLS and per-device tokens; it holds no training
 * math. The edge server trains with the simulator's own settings record ({@code org.memsfl.settings.RunSettings}),
 * which {@link org.memsfl.grpc.ServerDeployment} wraps with the process's own concerns (fleet size, wire limits,
 * timeouts, guards, output directory).
 *
 * <p>Protos stop at the border: only the service ({@code SplitFederationService}), the device's {@code ServerLink}
 * and {@code StepStream}, and the codecs read or write a generated message (memsfl-arch's ArchitectureTest holds
 * this). {@link org.memsfl.grpc.RegistrationCodec} turns the Register rpc's messages into
 * {@link org.memsfl.grpc.DeviceRegistration} and {@link org.memsfl.grpc.DeviceAssignment} (with the fleet's
 * {@link org.memsfl.grpc.TrainingTerms}), validated once; the service assembles a Train stream's chunks into
 * {@link org.memsfl.grpc.ActivationStep}s and an upload into an {@link org.memsfl.grpc.AdapterUpload}, copying the
 * device's numbers as sent (the core round judges them); {@code StepWire} and {@code AdapterWire} turn tensors into
 * the round's payloads and back, with {@code TensorCodec} (chunks) under them. Each class has one job:
 * <ul>
 *   <li>server: {@code SplitFederationService} (the rpcs), {@code RoundCoordinator} (drives the round on one worker
 *       thread; the run itself, model, cuts and held-out evaluation, is the core's {@code round.SplitRun}), {@code Registrations}, {@code StepServing}, {@code AdapterHandout}, {@code RunRecords} (metrics and
 *       summary), {@code Checkpoint}/{@code CheckpointFiles} (the checkpoint file), {@code StorageRetry};</li>
 *   <li>device: {@code DeviceClient} (its course through the rounds), {@code ServerLink} (its calls, deadlines and
 *       retries), {@code StepStream} (one round's Train stream), {@code DeviceRoundStart} (the round-start state file
 *       that makes a redo exact), {@code DeviceRecords} (its metrics, summary and final adapters).</li>
 * </ul>
 * Messages that tell a user to change a setting name it through {@link org.memsfl.grpc.Setting.Names}: the library's
 * own field names by default, the caller's (the CLI's flags) when it gives them, so the library never knows its CLI.
 */
package org.memsfl.grpc;
