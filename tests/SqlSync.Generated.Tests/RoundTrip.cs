using SqlSync.Mutations;

namespace SqlSync.Generated.Tests;

/// <summary>Checks one record's binary and JSON round trips.</summary>
internal static class RoundTrip
{
    /// <param name="record">The record.</param>
    /// <param name="decode">The record type's Decode.</param>
    /// <param name="json">The record type's FromJson, or null to skip the JSON round trip.</param>
    /// <param name="compareRecords">False when a member's own type lacks value equality (a user struct
    /// holding a List); then only the bytes are compared.</param>
    public static void Check<T>(T record, Func<byte[], T> decode, Func<string, T>? json, bool compareRecords = true)
        where T : IMutation
    {
        var writer = new MutationWriter();
        record.WriteTo(writer);
        byte[] bytes = writer.ToArray();
        Assert.Equal(record.Tag, BitConverter.ToUInt32(bytes, 0));

        T decoded = decode(bytes);
        if (compareRecords)
        {
            Assert.Equal(record, decoded);
        }

        var again = new MutationWriter();
        decoded.WriteTo(again);
        Assert.Equal(Convert.ToHexString(bytes), Convert.ToHexString(again.ToArray()));

        if (json is not null)
        {
            string text = record.ToString()!;
            T fromJson = json(text.Substring(text.IndexOf(' ', StringComparison.Ordinal) + 1));
            if (compareRecords)
            {
                Assert.Equal(record, fromJson);
            }
            else
            {
                Assert.Equal(text, fromJson.ToString());
            }
        }
    }
}
