/**
 * The {@code memsfl} command line (picocli): one class per subcommand, shared options as mixins, one mixin per option
 * group with its one default from {@code org.memsfl.settings.Defaults} (e.g. {@link org.memsfl.cli.DataOption} for
 * {@code --data} everywhere). {@link org.memsfl.cli.FlagNames} tells the deployment library the flag of each setting
 * its messages mention, so that a user is told which flag to change. {@link org.memsfl.cli.MethodProcesses} runs each
 * method of compare and demo in a JVM of its own (the hidden {@code compare-method} command), so that a method's wall
 * time does not depend on the methods before it.
 */
package org.memsfl.cli;
