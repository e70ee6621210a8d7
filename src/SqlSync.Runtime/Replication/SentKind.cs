namespace SqlSync.Replication;

/// <summary>What a storage message in a <see cref="StorageWindow"/> carried.</summary>
internal enum SentKind
{
    /// <summary>Storage entries (or the parts of one entry): acknowledged with the client's storage range.</summary>
    Entries,

    /// <summary>The empty first chunk of a checkpoint: the answer says how much of it the client holds.</summary>
    Offer,

    /// <summary>A slice of a checkpoint: acknowledged with the bytes held, or, the last one, with the installed storage range.</summary>
    Slice,
}
