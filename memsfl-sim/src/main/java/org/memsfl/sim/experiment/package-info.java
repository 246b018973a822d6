/** Runs methods side by side on one context and writes manifest.json, metrics.jsonl, summary.json and the report. */
package org.memsfl.sim.experiment;
