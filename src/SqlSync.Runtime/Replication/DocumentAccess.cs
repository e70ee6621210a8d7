namespace SqlSync.Replication;

/// <summary>What a link may do with a document, as the server's authorization hook decides.</summary>
public enum DocumentAccess : byte
{
    /// <summary>The document may not be opened.</summary>
    Denied = 0,
    /// <summary>The link receives the document's storage but may not send mutations.</summary>
    ReadOnly = 1,
    /// <summary>The link receives storage and sends its own timeline's mutations.</summary>
    ReadWrite = 2,
}
