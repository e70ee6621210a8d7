namespace SqlSync.Documents;

/// <summary>What changed a local document's visible state.</summary>
public enum DocumentChange
{
    /// <summary>A local mutation was applied.</summary>
    LocalMutation,
    /// <summary>Storage from the coordinator arrived and the document rebased.</summary>
    Rebased,
}
