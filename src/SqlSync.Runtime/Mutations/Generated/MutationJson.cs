using System.Buffers;
using System.ComponentModel;
using System.Text;
using System.Text.Json;

namespace SqlSync.Mutations.Generated;

/// <summary>
/// The readable JSON form of mutation records (logs, inspection tools, non-.NET clients), written and
/// read with <see cref="Utf8JsonWriter"/> and <see cref="Utf8JsonReader"/>. Generated records call
/// these helpers; docs/formats.md lists the form of every type. Never used for the journal.
/// </summary>
/// <remarks>
/// Read methods expect the reader on the value's first token and leave it on the value's last token.
/// Malformed input throws <see cref="JsonException"/>.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static partial class MutationJson
{
    /// <summary>Writes a value with <paramref name="write"/> and returns the JSON text.</summary>
    public static string ToJson(Action<Utf8JsonWriter> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            write(writer);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Reads one value from <paramref name="json"/> with <paramref name="read"/>; trailing content is an error.</summary>
    public static T FromJson<T>(string json, JsonValueReader<T> read)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(read);
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(json));
        ReadNext(ref reader);
        T value = read(ref reader);
        if (reader.Read())
        {
            throw new JsonException($"Unexpected {reader.TokenType} after the value.");
        }

        return value;
    }

    /// <summary>Moves to the next token; the end of the input is an error.</summary>
    public static void ReadNext(ref Utf8JsonReader reader)
    {
        if (!reader.Read())
        {
            throw new JsonException("Unexpected end of JSON input.");
        }
    }

    /// <summary>Throws unless the reader is on <paramref name="expected"/>.</summary>
    public static void Expect(ref Utf8JsonReader reader, JsonTokenType expected)
    {
        if (reader.TokenType != expected)
        {
            throw new JsonException($"Expected {expected}, found {reader.TokenType}.");
        }
    }

    /// <summary>
    /// Moves past a property's name to the next token of an object being read. Returns false at the
    /// object's end; otherwise the reader is on a property name.
    /// </summary>
    public static bool ReadNextProperty(ref Utf8JsonReader reader)
    {
        ReadNext(ref reader);
        if (reader.TokenType == JsonTokenType.EndObject)
        {
            return false;
        }

        Expect(ref reader, JsonTokenType.PropertyName);
        return true;
    }

    /// <summary>Skips the value of a property the reader does not know; the reader is on its name.</summary>
    public static void SkipPropertyValue(ref Utf8JsonReader reader)
    {
        ReadNext(ref reader);
        reader.Skip();
    }

    /// <summary>Moves to the next element of an array being read. Returns false at the array's end.</summary>
    public static bool ReadNextElement(ref Utf8JsonReader reader)
    {
        ReadNext(ref reader);
        return reader.TokenType != JsonTokenType.EndArray;
    }

    /// <summary>The error for an object that lacks a required property.</summary>
    public static JsonException MissingProperty(string typeName, string propertyName) =>
        new($"The JSON form of {typeName} lacks the property \"{propertyName}\".");

    /// <summary>Writes an enum as its name (or names joined by ", " for flags; its number when it has no name).</summary>
    public static void WriteEnum<TEnum>(Utf8JsonWriter writer, TEnum value)
        where TEnum : struct, Enum => writer.WriteStringValue(value.ToString());

    /// <summary>Reads an enum written by <see cref="WriteEnum{TEnum}"/>; a number is accepted too.</summary>
    public static TEnum ReadEnum<TEnum>(ref Utf8JsonReader reader)
        where TEnum : struct, Enum
    {
        if (reader.TokenType == JsonTokenType.Number)
        {
            return reader.TryGetInt64(out long signed)
                ? (TEnum)Enum.ToObject(typeof(TEnum), signed)
                : (TEnum)Enum.ToObject(typeof(TEnum), reader.GetUInt64());
        }

        string text = ReadString(ref reader);
        if (!Enum.TryParse(text, ignoreCase: false, out TEnum value))
        {
            throw new JsonException($"\"{text}\" is not a value of {typeof(TEnum).Name}.");
        }

        return value;
    }
}
