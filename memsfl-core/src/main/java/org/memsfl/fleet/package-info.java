/**
 * The fleet a run trains on: each device's memory budget, compute speed, link bandwidths and latency, and the edge
 * server's compute and memory (DESIGN.md sections 5 and 6). Fleets are read from YAML or JSON with human units, or
 * taken from built-in presets under {@code resources/fleets/} that users can copy and edit.
 */
package org.memsfl.fleet;
