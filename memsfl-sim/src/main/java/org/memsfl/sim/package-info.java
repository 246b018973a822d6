/**
 * Simulation of split federated fine-tuning over a heterogeneous fleet in one process: the shared experiment context
 * ({@link org.memsfl.sim.SimContext}: model, fleet, cuts and per-device data, built from the one settings record
 * {@code org.memsfl.settings.RunSettings} that the edge server holds too). Methods live in {@code method}, the runner
 * in {@code experiment}.
 */
package org.memsfl.sim;
