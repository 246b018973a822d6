/**
 * The run defaults, once: {@link org.memsfl.settings.Defaults} is the single table the CLI's option groups and the
 * simulator's and edge server's settings builders read, so that the same option means the same value in every
 * command. Hand-written because a defaults table is the project's own substance (picocli's annotations need the
 * values as compile-time constants, which these are).
 */
package org.memsfl.settings;
