/**
 * One split federated round, written once (Chen et al. 2025; DESIGN.md sections 1 and 7): {@link
 * org.memsfl.round.SplitServer} (registration, per-device server state as a {@link org.memsfl.round.DevicePhase}
 * state machine, round begin, serving one step, round end with aggregation and left-out devices, evaluation, a typed
 * {@link org.memsfl.round.ServerCheckpoint}) and {@link org.memsfl.round.SplitDevice} (round begin, local steps,
 * redo snapshot), with {@link org.memsfl.round.CutPlanner} for cuts at registration. {@link org.memsfl.round.SplitRun}
 * sets one run up from its settings for either driver (model, cuts, prompt format, delay model, server), and
 * {@link org.memsfl.round.HeldOutEval} is its held-out evaluation (by loss and by generation on each device's own
 * prompts) and what a run records of it. memsfl and its split
 * baselines differ only in the {@link org.memsfl.round.ServerDesign}. The two baselines without a split have their
 * rounds here too: {@link org.memsfl.round.FedLoraRound} (whole-model clients, FedAvg of their adapters) and
 * {@link org.memsfl.round.CentralizedRound} (one trainer over the pooled data).
 *
 * <p>What the round does not take on trust from devices lives here too, so that both drivers apply it: the
 * {@link org.memsfl.round.RoundGuards} (bounded {@code num_examples}, finite uploads within
 * {@link org.memsfl.round.UpdateBound}'s norm, a quorum, the held-out health gate) and restarts, all resting on a
 * copy of the server's state at the round's start that a round or one device can be rolled back to.
 *
 * <p>Like Flower's ServerApp/ClientApp under a simulation or a gRPC driver, the simulator (memsfl-sim) and the edge
 * server and device processes (memsfl-grpc) drive these same objects; transports only move bytes, keep time and
 * handle processes. Which step the server takes next is theirs to ask a {@code schedule.StepDispatcher}.
 */
package org.memsfl.round;
