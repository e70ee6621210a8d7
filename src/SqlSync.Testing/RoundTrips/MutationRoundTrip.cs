using System.Reflection;
using System.Text.Json;
using SqlSync.Mutations;

namespace SqlSync.Testing;

/// <summary>
/// Checks that generated mutation records survive their round trips: the binary form (encode, the
/// record type's static <c>Decode</c>, equal, encode again to the same bytes) and the JSON form
/// (<c>ToJson</c>, <c>FromJson</c>, equal; System.Text.Json through the record's converter gives the
/// same text). Failures throw <see cref="MutationRoundTripException"/>; works with any test framework.
/// </summary>
public static class MutationRoundTrip
{
    private delegate object DecodeRecord(ReadOnlySpan<byte> mutation);

    /// <summary>Checks each sample record.</summary>
    public static void Check(params IMutation[] samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        foreach (IMutation sample in samples)
        {
            CheckOne(sample ?? throw new ArgumentNullException(nameof(samples), "A sample is null."));
        }
    }

    /// <summary>
    /// Checks one sample of every record type of the mutations class that declares <paramref name="reducer"/>
    /// (e.g. <c>TodoMutations.Reducer.Instance</c>); fails, naming them, when a record type has no sample,
    /// and when a sample's tag is not among the reducer's <c>Tags</c>.
    /// </summary>
    public static void CheckAll(IMutationReducer reducer, params IMutation[] samples)
    {
        ArgumentNullException.ThrowIfNull(reducer);
        ArgumentNullException.ThrowIfNull(samples);
        Type set = reducer.GetType().DeclaringType
            ?? throw new ArgumentException($"{reducer.GetType()} is not nested in a mutations class; pass the generated Reducer.Instance.", nameof(reducer));

        var recordTypes = set.GetNestedTypes(BindingFlags.Public | BindingFlags.NonPublic)
            .Where(t => t.IsClass && !t.IsAbstract && typeof(IMutation).IsAssignableFrom(t))
            .ToList();
        var sampled = samples.Select(s => s?.GetType()).ToHashSet();
        var missing = recordTypes.Where(t => !sampled.Contains(t)).Select(t => t.Name).Order(StringComparer.Ordinal).ToList();
        if (missing.Count > 0)
        {
            throw new MutationRoundTripException(
                $"No sample for {string.Join(", ", missing)}: pass one record of each of the {recordTypes.Count} record types of {Name(set)} to CheckAll.");
        }

        var foreign = samples.Where(s => s is not null && !recordTypes.Contains(s.GetType())).Select(s => s.GetType().FullName).ToList();
        if (foreign.Count > 0)
        {
            throw new MutationRoundTripException($"{string.Join(", ", foreign)} are not record types of {Name(set)}.");
        }

        var tags = reducer.GetType().GetProperty("Tags", BindingFlags.Public | BindingFlags.Static)?.GetValue(null) as IReadOnlyList<uint>;
        foreach (IMutation sample in samples)
        {
            if (tags is not null && !tags.Contains(sample.Tag))
            {
                throw new MutationRoundTripException(
                    $"{sample.GetType().Name} has tag 0x{sample.Tag:X8}, which {Name(set)}.Reducer.Tags does not list.");
            }
        }

        Check(samples);
    }

    private static void CheckOne(IMutation sample)
    {
        Type type = sample.GetType();
        string name = type.Name;
        byte[] bytes = Encode(sample);
        if (bytes.Length < 4 || BitConverter.ToUInt32(bytes, 0) != sample.Tag)
        {
            Fail(name, "binary", $"the encoded record does not start with its tag 0x{sample.Tag:X8}", sample, bytes);
        }

        MethodInfo? decodeMethod = type.GetMethod("Decode", BindingFlags.Public | BindingFlags.Static, [typeof(ReadOnlySpan<byte>)]);
        if (decodeMethod is null || !type.IsAssignableFrom(decodeMethod.ReturnType))
        {
            Fail(name, "binary", "the type has no static Decode(ReadOnlySpan<byte>) returning it; is it a generated record?", sample, bytes);
        }

        object decoded;
        try
        {
            decoded = decodeMethod.CreateDelegate<DecodeRecord>()(bytes);
        }
        catch (Exception ex)
        {
            Fail(name, "binary", $"Decode threw {ex.GetType().Name}: {ex.Message}", sample, bytes);
            throw; // unreachable
        }

        if (!sample.Equals(decoded))
        {
            Fail(name, "binary", $"the decoded record differs: {decoded}", sample, bytes);
        }

        byte[] again = Encode((IMutation)decoded);
        if (!again.AsSpan().SequenceEqual(bytes))
        {
            Fail(name, "binary", $"the decoded record encodes to other bytes: {Convert.ToHexString(again)}", sample, bytes);
        }

        CheckJson(type, name, sample, bytes);
    }

    private static void CheckJson(Type type, string name, IMutation sample, byte[] bytes)
    {
        MethodInfo? toJson = type.GetMethod("ToJson", BindingFlags.Public | BindingFlags.Instance, Type.EmptyTypes);
        MethodInfo? fromJson = type.GetMethod("FromJson", BindingFlags.Public | BindingFlags.Static, [typeof(string)]);
        if (toJson is null || fromJson is null)
        {
            Fail(name, "JSON", "the type has no ToJson() and static FromJson(string); is it a generated record?", sample, bytes);
        }

        string json = (string)toJson.Invoke(sample, null)!;
        object fromText;
        try
        {
            fromText = fromJson.Invoke(null, [json])!;
        }
        catch (TargetInvocationException ex) when (ex.InnerException is not null)
        {
            Fail(name, "JSON", $"FromJson threw {ex.InnerException.GetType().Name}: {ex.InnerException.Message} (JSON: {json})", sample, bytes);
            throw; // unreachable
        }

        if (!sample.Equals(fromText))
        {
            Fail(name, "JSON", $"the record read from {json} differs: {fromText}", sample, bytes);
        }

        string serialized = JsonSerializer.Serialize(sample, type);
        if (serialized != json)
        {
            Fail(name, "JSON", $"JsonSerializer wrote {serialized}, not the record's JSON form {json}", sample, bytes);
        }
    }

    private static byte[] Encode(IMutation mutation)
    {
        var writer = new MutationWriter();
        mutation.WriteTo(writer);
        return writer.ToArray();
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void Fail(string name, string form, string what, IMutation sample, byte[] bytes) =>
        throw new MutationRoundTripException(
            $"{name} does not survive its {form} round trip: {what}.\n  record: {sample}\n  bytes:  {Convert.ToHexString(bytes)}");

    private static string Name(Type set) => set.FullName?.Replace('+', '.') ?? set.Name;
}
