/**
 * Models by Hugging Face Hub name ({@code org/name[@revision]}): the shared Hugging Face cache and a client of the
 * Hub's HTTP API.
 *
 * <p>Owns: parsing and validating repository names ({@link org.memsfl.hub.HubRepo}); reading the settings the
 * Hugging Face tools read ({@link org.memsfl.hub.HubSettings}: {@code HF_ENDPOINT}, {@code HF_HUB_CACHE},
 * {@code HF_HOME}, {@code HF_TOKEN}, the token file, {@code HF_HUB_OFFLINE}) from an injected environment map;
 * the on-disk cache layout {@code models--org--name/{refs,blobs,snapshots}} ({@link org.memsfl.hub.HubCache}), so
 * that a model downloaded by any Hugging Face tool is found here and one downloaded here is reused by them; the
 * resolve and model-info endpoints with resumable, verified downloads ({@link org.memsfl.hub.HubClient}); and
 * choosing which files of a repository a model needs ({@link org.memsfl.hub.HubSnapshots}: config, generation
 * config, tokenizer files, safetensors or its index and shards; never pickled weights).
 *
 * <p>Why hand-written: there is no maintained Java client of the Hub that writes the Hugging Face cache layout (DJL's
 * model zoo keeps its own cache; the Rust hf-hub crate and huggingface_hub are not on the JVM). The layout and the
 * protocol follow the Hub documentation "Hub Local Cache" and huggingface_hub's {@code file_download.py}: the HEAD of
 * {@code <endpoint>/<repo>/resolve/<revision>/<file>} gives {@code X-Repo-Commit}, the blob's {@code X-Linked-Etag}
 * (the sha256 of a large file stored by Git LFS) or {@code ETag} (the git blob sha1 of a small one), and a redirect to
 * the content; partial blobs are {@code blobs/<etag>.incomplete} and resume with {@code Range}. HTTP is the JDK's
 * {@link java.net.http.HttpClient}; JSON is Jackson; the progress bar is me.tongfei progressbar.
 */
package org.memsfl.hub;
