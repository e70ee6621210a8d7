using System.Globalization;
using System.Text.Json;

namespace SqlSync.Mutations.Generated;

public static partial class MutationJson
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>Writes <c>true</c> or <c>false</c>.</summary>
    public static void WriteBoolean(Utf8JsonWriter writer, bool value) => writer.WriteBooleanValue(value);
    /// <summary>Reads <c>true</c> or <c>false</c>.</summary>
    public static bool ReadBoolean(ref Utf8JsonReader reader) => Guard(ref reader, static (ref Utf8JsonReader r) => r.GetBoolean());

    /// <summary>Writes a number.</summary>
    public static void WriteByte(Utf8JsonWriter writer, byte value) => writer.WriteNumberValue(value);
    /// <summary>Reads a number.</summary>
    public static byte ReadByte(ref Utf8JsonReader reader) => Guard(ref reader, static (ref Utf8JsonReader r) => r.GetByte());

    /// <summary>Writes a number.</summary>
    public static void WriteSByte(Utf8JsonWriter writer, sbyte value) => writer.WriteNumberValue(value);
    /// <summary>Reads a number.</summary>
    public static sbyte ReadSByte(ref Utf8JsonReader reader) => Guard(ref reader, static (ref Utf8JsonReader r) => r.GetSByte());

    /// <summary>Writes a number.</summary>
    public static void WriteInt16(Utf8JsonWriter writer, short value) => writer.WriteNumberValue(value);
    /// <summary>Reads a number.</summary>
    public static short ReadInt16(ref Utf8JsonReader reader) => Guard(ref reader, static (ref Utf8JsonReader r) => r.GetInt16());

    /// <summary>Writes a number.</summary>
    public static void WriteUInt16(Utf8JsonWriter writer, ushort value) => writer.WriteNumberValue(value);
    /// <summary>Reads a number.</summary>
    public static ushort ReadUInt16(ref Utf8JsonReader reader) => Guard(ref reader, static (ref Utf8JsonReader r) => r.GetUInt16());

    /// <summary>Writes a number.</summary>
    public static void WriteInt32(Utf8JsonWriter writer, int value) => writer.WriteNumberValue(value);
    /// <summary>Reads a number.</summary>
    public static int ReadInt32(ref Utf8JsonReader reader) => Guard(ref reader, static (ref Utf8JsonReader r) => r.GetInt32());

    /// <summary>Writes a number.</summary>
    public static void WriteUInt32(Utf8JsonWriter writer, uint value) => writer.WriteNumberValue(value);
    /// <summary>Reads a number.</summary>
    public static uint ReadUInt32(ref Utf8JsonReader reader) => Guard(ref reader, static (ref Utf8JsonReader r) => r.GetUInt32());

    /// <summary>Writes a number.</summary>
    public static void WriteInt64(Utf8JsonWriter writer, long value) => writer.WriteNumberValue(value);
    /// <summary>Reads a number.</summary>
    public static long ReadInt64(ref Utf8JsonReader reader) => Guard(ref reader, static (ref Utf8JsonReader r) => r.GetInt64());

    /// <summary>Writes a number.</summary>
    public static void WriteUInt64(Utf8JsonWriter writer, ulong value) => writer.WriteNumberValue(value);
    /// <summary>Reads a number.</summary>
    public static ulong ReadUInt64(ref Utf8JsonReader reader) => Guard(ref reader, static (ref Utf8JsonReader r) => r.GetUInt64());

    /// <summary>Writes a number, or the string "NaN", "Infinity" or "-Infinity".</summary>
    public static void WriteSingle(Utf8JsonWriter writer, float value)
    {
        if (float.IsFinite(value))
        {
            writer.WriteNumberValue(value);
        }
        else
        {
            writer.WriteStringValue(value.ToString(Invariant));
        }
    }

    /// <summary>Reads what <see cref="WriteSingle"/> writes.</summary>
    public static float ReadSingle(ref Utf8JsonReader reader) => reader.TokenType == JsonTokenType.String
        ? float.Parse(ReadString(ref reader), NumberStyles.Float, Invariant)
        : Guard(ref reader, static (ref Utf8JsonReader r) => r.GetSingle());

    /// <summary>Writes a number, or the string "NaN", "Infinity" or "-Infinity".</summary>
    public static void WriteDouble(Utf8JsonWriter writer, double value)
    {
        if (double.IsFinite(value))
        {
            writer.WriteNumberValue(value);
        }
        else
        {
            writer.WriteStringValue(value.ToString(Invariant));
        }
    }

    /// <summary>Reads what <see cref="WriteDouble"/> writes.</summary>
    public static double ReadDouble(ref Utf8JsonReader reader) => reader.TokenType == JsonTokenType.String
        ? double.Parse(ReadString(ref reader), NumberStyles.Float, Invariant)
        : Guard(ref reader, static (ref Utf8JsonReader r) => r.GetDouble());

    /// <summary>Writes a number with the decimal's scale kept (<c>1.50</c>).</summary>
    public static void WriteDecimal(Utf8JsonWriter writer, decimal value) => writer.WriteNumberValue(value);
    /// <summary>Reads a number as a decimal, keeping its scale.</summary>
    public static decimal ReadDecimal(ref Utf8JsonReader reader) => Guard(ref reader, static (ref Utf8JsonReader r) => r.GetDecimal());

    /// <summary>Writes a string.</summary>
    public static void WriteString(Utf8JsonWriter writer, string value) => writer.WriteStringValue(value);

    /// <summary>Reads a non-null string.</summary>
    public static string ReadString(ref Utf8JsonReader reader)
    {
        Expect(ref reader, JsonTokenType.String);
        return reader.GetString()!;
    }

    /// <summary>Writes bytes as a base64 string.</summary>
    public static void WriteBytes(Utf8JsonWriter writer, byte[] value) => writer.WriteBase64StringValue(value);
    /// <summary>Reads a base64 string.</summary>
    public static byte[] ReadBytes(ref Utf8JsonReader reader) => Guard(ref reader, static (ref Utf8JsonReader r) => r.GetBytesFromBase64());

    /// <summary>Writes a Guid in its "D" form.</summary>
    public static void WriteGuid(Utf8JsonWriter writer, Guid value) => writer.WriteStringValue(value);
    /// <summary>Reads a Guid in its "D" form.</summary>
    public static Guid ReadGuid(ref Utf8JsonReader reader) => Guard(ref reader, static (ref Utf8JsonReader r) => r.GetGuid());

    /// <summary>Writes a DateTime in the round-trip "O" form (Utc ends in Z, Local carries the machine's offset).</summary>
    public static void WriteDateTime(Utf8JsonWriter writer, DateTime value) => writer.WriteStringValue(value.ToString("O", Invariant));
    /// <summary>Reads the "O" form, keeping the kind.</summary>
    public static DateTime ReadDateTime(ref Utf8JsonReader reader) =>
        Parse(ref reader, static s => DateTime.ParseExact(s, "O", Invariant, DateTimeStyles.RoundtripKind));

    /// <summary>Writes a DateTimeOffset in the round-trip "O" form.</summary>
    public static void WriteDateTimeOffset(Utf8JsonWriter writer, DateTimeOffset value) => writer.WriteStringValue(value.ToString("O", Invariant));
    /// <summary>Reads the "O" form.</summary>
    public static DateTimeOffset ReadDateTimeOffset(ref Utf8JsonReader reader) =>
        Parse(ref reader, static s => DateTimeOffset.ParseExact(s, "O", Invariant, DateTimeStyles.None));

    /// <summary>Writes a TimeSpan in the constant "c" form (<c>[-][d.]hh:mm:ss[.fffffff]</c>).</summary>
    public static void WriteTimeSpan(Utf8JsonWriter writer, TimeSpan value) => writer.WriteStringValue(value.ToString("c", Invariant));
    /// <summary>Reads the "c" form.</summary>
    public static TimeSpan ReadTimeSpan(ref Utf8JsonReader reader) => Parse(ref reader, static s => TimeSpan.ParseExact(s, "c", Invariant));

    /// <summary>Writes a DateOnly as <c>yyyy-MM-dd</c>.</summary>
    public static void WriteDateOnly(Utf8JsonWriter writer, DateOnly value) => writer.WriteStringValue(value.ToString("O", Invariant));
    /// <summary>Reads <c>yyyy-MM-dd</c>.</summary>
    public static DateOnly ReadDateOnly(ref Utf8JsonReader reader) => Parse(ref reader, static s => DateOnly.ParseExact(s, "O", Invariant));

    /// <summary>Writes a TimeOnly as <c>HH:mm:ss.fffffff</c>.</summary>
    public static void WriteTimeOnly(Utf8JsonWriter writer, TimeOnly value) => writer.WriteStringValue(value.ToString("O", Invariant));
    /// <summary>Reads <c>HH:mm:ss.fffffff</c>.</summary>
    public static TimeOnly ReadTimeOnly(ref Utf8JsonReader reader) => Parse(ref reader, static s => TimeOnly.ParseExact(s, "O", Invariant));

    private static T Guard<T>(ref Utf8JsonReader reader, JsonValueReader<T> read)
    {
        try
        {
            return read(ref reader);
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException or OverflowException)
        {
            throw new JsonException($"Cannot read a {typeof(T).Name} from {reader.TokenType}: {ex.Message}", ex);
        }
    }

    private static T Parse<T>(ref Utf8JsonReader reader, Func<string, T> parse)
    {
        string text = ReadString(ref reader);
        try
        {
            return parse(text);
        }
        catch (Exception ex) when (ex is FormatException or OverflowException or ArgumentException)
        {
            throw new JsonException($"\"{text}\" is not a {typeof(T).Name}: {ex.Message}", ex);
        }
    }
}
