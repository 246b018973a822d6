/**
 * Chat templates: the Jinja {@code chat_template} an instruct model ships in {@code tokenizer_config.json} (or
 * {@code chat_template.jinja}), rendered the way Hugging Face transformers renders it, and the loss mask that keeps
 * training on the assistant's turns only.
 *
 * <p>Owns: reading a model's template and special tokens ({@link org.memsfl.chat.ChatTemplate#fromModelDir}),
 * rendering a conversation ({@link org.memsfl.chat.ChatTemplate#render}), finding each assistant turn's span in the
 * rendered text ({@link org.memsfl.chat.ChatTemplate#assistantSpans}) and turning that into ids and loss targets
 * ({@link org.memsfl.chat.ChatTokenization}), and the user's choice among {@code auto}, {@code chat}, {@code plain}
 * or a named template ({@link org.memsfl.chat.TemplateChoice}).
 *
 * <p>Why a library: Jinja is a language, and templates use its corners (whitespace control, loop variables, slices,
 * tests, filters). Rendering goes through HubSpot's jinjava, configured as transformers'
 * {@code _compile_jinja_template} configures jinja2: {@code trim_blocks} and {@code lstrip_blocks} on, loop controls
 * ({@code break}/{@code continue}) available, and the globals {@code raise_exception} (an error the template raises
 * becomes a one-line bad-input error) and {@code strftime_now} (with an injectable clock so tests are
 * deterministic). Hand-written here is only what transformers does around the engine.
 */
package org.memsfl.chat;
