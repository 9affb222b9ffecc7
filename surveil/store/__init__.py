"""The event store: RocksDB (rocksdict) with records, indices, embeddings, thumbnails and an audit chain."""
