/**
 * The order in which the edge server serves devices, and what that order costs.
 *
 * <p>One local step of device u is a job for the server: released at {@code r_u} (device forward + uplink), needing
 * {@code p_u} of server time (its segment's forward and backward), then followed by a tail {@code q_u} (downlink +
 * device backward) that runs on the device, in parallel with everything else. Minimising the step's makespan
 * {@code max_u (C_u + q_u)} over server orders is the one-machine problem {@code 1|r_j,q_j|Cmax}
 * (DESIGN.md section 6).
 *
 * <p>This package owns: the job and schedule values ({@link org.memsfl.schedule.Job},
 * {@link org.memsfl.schedule.Schedule}); the order policies behind {@link org.memsfl.schedule.SchedulingPolicy}
 * (FCFS, random, Schrage's heuristic, Carlier's exact branch and bound, a brute-force oracle for tests, and the
 * round-level {@link org.memsfl.schedule.CriticalPath} rule with its lower bound), looked up by name in
 * {@link org.memsfl.schedule.Policies}; the one online dispatcher of the server's order
 * ({@link org.memsfl.schedule.StepDispatcher}); and an event-driven simulation of a whole round of local steps that
 * drives that dispatcher with predicted arrivals ({@link org.memsfl.schedule.RoundSimulator},
 * {@link org.memsfl.schedule.ScheduleStudy}). It knows nothing about
 * tensors, FLOPs or links: callers turn those into {@link org.memsfl.schedule.DeviceTiming} seconds.
 */
package org.memsfl.schedule;
