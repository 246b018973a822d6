/**
 * Simulation of split federated fine-tuning over a heterogeneous fleet in one process: the shared experiment
 * settings and per-device data. Methods live in {@code method}, the runner in {@code experiment}.
 */
package org.memsfl.sim;
