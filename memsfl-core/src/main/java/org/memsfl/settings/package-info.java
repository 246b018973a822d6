/**
 * The run's settings, once: {@link org.memsfl.settings.RunSettings} is the one record a training run is run with,
 * whether the simulator drives the core round or the edge server of a deployment does (which wraps it with its
 * process's own concerns: ports, timeouts, files); its builder starts every field at its one default in
 * {@link org.memsfl.settings.Defaults}, the table the CLI's option groups read too, its compact constructor is the one
 * place the values are checked, and {@code toMap} the one place they are written to manifests. Hand-written because
 * the settings and their defaults are the project's own substance (picocli's annotations need the values as
 * compile-time constants, which the defaults are).
 */
package org.memsfl.settings;
