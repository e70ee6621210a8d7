using System.Text;

namespace SqlSync.Transport;

/// <summary>Another client of a document and the presence state it published (opaque bytes, often UTF-8 JSON).</summary>
/// <param name="PeerId">Names the other client's connection while it lasts (a reconnect gives a new id).</param>
/// <param name="State">The state as published.</param>
public sealed record PresencePeer(string PeerId, ReadOnlyMemory<byte> State)
{
    /// <summary>The state as UTF-8 text (JSON, say).</summary>
    public string StateText => Encoding.UTF8.GetString(State.Span);
}
