/**
 * Runs methods side by side on one context, or each in a process of its own through a launcher that hands back its
 * {@link org.memsfl.sim.experiment.MethodRun} (JSON through Jackson's record support, not hand-written), and writes
 * manifest.json, metrics.jsonl, summary.json and the report.
 */
package org.memsfl.sim.experiment;
