using System.Security.Cryptography;
using SqlSync.Journals;
using SqlSync.Mutations;
using SqlSync.Replication.Messages;

namespace SqlSync.Server.Tests;

/// <summary>
/// Tests that play a client frame by frame need one secret per timeline, the same at every open: derived from the
/// id here, which a real client never does (its secret is random, LocalDocument keeps it).
/// </summary>
internal static class TimelineSecrets
{
    public static TimelineSecret For(TimelineId timeline) => new(SHA256.HashData(timeline.Value.ToByteArray()));

    public static OpenDocumentMessage Open(string documentId, TimelineId timeline, LsnRange storage) => new(documentId, timeline, storage, For(timeline));
}
