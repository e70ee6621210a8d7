namespace SqlSync.Orleans;

/// <summary>How a document grain answered a relayed call.</summary>
internal enum RelayOutcome
{
    /// <summary>Applied: the frames are the replies.</summary>
    Ok = 0,

    /// <summary>The document refused this link on its own (the frames hold the error); the connection's other documents go on.</summary>
    DocumentRefused = 1,

    /// <summary>The grain has no link for the connection (it moved or was reactivated): the client opens the document again.</summary>
    LinkUnknown = 2,

    /// <summary>A protocol error (the frames hold the error): the connection closes, as on the single server.</summary>
    ProtocolError = 3,
}
