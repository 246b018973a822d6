/** The {@code memsfl} command line (picocli): one class per subcommand, shared options as mixins. */
package org.memsfl.cli;
