namespace SqlSync.Journals;

/// <summary>
/// Where a server keeps its documents' journals when not in files under its data directory (decision 0037): one
/// <see cref="IJournalStore"/> per document, and whether a document exists there (a server on an empty disk must
/// still know the documents its clients hold).
/// </summary>
internal interface IJournalStoreProvider
{
    /// <summary>The store of <paramref name="documentId"/>'s journals, checkpoints and notes.</summary>
    IJournalStore For(string documentId);

    /// <summary>True when the store holds anything of <paramref name="documentId"/> (one small request).</summary>
    bool Exists(string documentId);

    /// <summary>Where the journals are, for the server's start log (no secret: never the connection string).</summary>
    string Describe();
}
