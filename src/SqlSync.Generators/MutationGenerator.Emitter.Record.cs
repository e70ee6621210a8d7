using System.Linq;
using SqlSync.Generators.Helpers;
using SqlSync.Generators.Model;

namespace SqlSync.Generators;

public sealed partial class MutationGenerator
{
    internal static partial class Emitter
    {
        private static void EmitRecord(SourceWriter writer, MutationSetSpec spec, MutationSpec mutation)
        {
            string name = mutation.RecordName;
            string record = RecordType(spec, mutation);
            string display = spec.DisplayName + "." + mutation.MethodName;
            string tagOrigin = mutation.IsExplicitTag ? "explicit" : "derived from the name";
            writer.WriteLine($"/// <summary>The record of mutation <c>{display}</c>, tag {Hex(mutation.Tag)} ({tagOrigin}).</summary>");
            writer.WriteLine($"[global::System.Text.Json.Serialization.JsonConverter(typeof({record}.JsonConverter))]");
            writer.OpenBlock($"{mutation.RecordAccessibility} sealed partial record {name} : global::SqlSync.Mutations.IMutation");
            writer.WriteLine("/// <summary>This mutation's stable tag.</summary>");
            writer.WriteLine($"public const uint MutationTag = {Hex(mutation.Tag)}u;");
            writer.WriteLine();

            ParameterSpec[] sequences = mutation.Parameters.Where(p => p.Type.NeedsSequenceEquality).ToArray();
            for (int i = 0; i < mutation.Parameters.Count; i++)
            {
                ParameterSpec parameter = mutation.Parameters[i];
                if (parameter.Type.NeedsSequenceEquality)
                {
                    writer.WriteLine($"private static readonly global::System.Collections.Generic.IEqualityComparer<{parameter.Type.TypeName}> __comparer{i} = {Comparer(parameter.Type)};");
                }
            }

            if (sequences.Length > 0)
            {
                writer.WriteLine();
            }

            writer.WriteLine("/// <summary>Creates the record.</summary>");
            writer.OpenBlock($"public {name}({ParameterList(mutation)})");
            EmitNullChecks(writer, mutation);
            foreach (ParameterSpec parameter in mutation.Parameters)
            {
                writer.WriteLine($"this.{parameter.PropertyName} = {parameter.ParameterName};");
            }

            writer.CloseBlock();
            foreach (ParameterSpec parameter in mutation.Parameters)
            {
                writer.WriteLine();
                writer.WriteLine($"/// <summary>The <c>{parameter.JsonName}</c> argument.</summary>");
                writer.WriteLine($"public {parameter.Type.TypeName} {parameter.PropertyName} {{ get; init; }}");
            }

            writer.WriteLine();
            writer.WriteLine("uint global::SqlSync.Mutations.IMutation.Tag => MutationTag;");
            writer.WriteLine();
            writer.WriteLine("/// <summary>Writes the whole record: the tag, then the arguments.</summary>");
            writer.OpenBlock($"public void WriteTo({Writer} writer)");
            writer.WriteLine($"if (writer is null) throw new {ArgumentNull}(nameof(writer));");
            writer.WriteLine("writer.WriteTag(MutationTag);");
            writer.WriteLine("WriteArguments(writer);");
            writer.CloseBlock();
            writer.WriteLine();
            writer.WriteLine("/// <summary>Writes the arguments only, in parameter order.</summary>");
            writer.OpenBlock($"public void WriteArguments({Writer} writer)");
            foreach (ParameterSpec parameter in mutation.Parameters)
            {
                writer.WriteLine(WriteStatement(spec, parameter.Type, "this." + parameter.PropertyName));
            }

            writer.CloseBlock();
            writer.WriteLine();
            writer.WriteLine("/// <summary>Reads the arguments written by <see cref=\"WriteArguments\"/>.</summary>");
            string reads = string.Join(", ", mutation.Parameters.Select(p => ReadExpression(spec, p.Type)));
            writer.WriteLine($"public static {name} ReadArguments(ref {Reader} reader) => new {name}({reads});");
            writer.WriteLine();
            writer.WriteLine("/// <summary>The record's binary form: the tag, then the arguments.</summary>");
            writer.OpenBlock("public byte[] Encode()");
            writer.WriteLine($"var writer = new {Writer}();");
            writer.WriteLine("WriteTo(writer);");
            writer.WriteLine("return writer.ToArray();");
            writer.CloseBlock();
            writer.WriteLine();
            EmitDecode(writer, mutation, display);
            writer.WriteLine();
            EmitRecordJson(writer, spec, mutation);
            if (sequences.Length > 0)
            {
                writer.WriteLine();
                EmitEquality(writer, mutation);
            }

            writer.WriteLine();
            writer.WriteLine("/// <summary>The record's name and its JSON form.</summary>");
            writer.WriteLine($"public override string ToString() => \"{name} \" + ToJson();");
            writer.WriteLine();
            writer.WriteLine("/// <summary>Lets System.Text.Json read and write this record in its JSON form.</summary>");
            writer.OpenBlock($"public sealed class JsonConverter : global::System.Text.Json.Serialization.JsonConverter<{name}>");
            writer.WriteLine("/// <inheritdoc />");
            writer.WriteLine($"public override {name} Read(ref {JsonReader} reader, global::System.Type typeToConvert, global::System.Text.Json.JsonSerializerOptions options) => {name}.ReadJson(ref reader);");
            writer.WriteLine();
            writer.WriteLine("/// <inheritdoc />");
            writer.WriteLine($"public override void Write({JsonWriter} writer, {name} value, global::System.Text.Json.JsonSerializerOptions options) => value.WriteJson(writer);");
            writer.CloseBlock();
            writer.CloseBlock();
        }

        private static void EmitDecode(SourceWriter writer, MutationSpec mutation, string display)
        {
            string name = mutation.RecordName;
            writer.WriteLine("/// <summary>Decodes a whole record (tag, then arguments); a wrong tag, a truncated record or trailing bytes throw <see cref=\"global::SqlSync.SqlSyncException\"/>.</summary>");
            writer.OpenBlock($"public static {name} Decode(global::System.ReadOnlySpan<byte> mutation)");
            writer.WriteLine($"var reader = new {Reader}(mutation);");
            writer.WriteLine("try");
            writer.OpenBlock();
            writer.WriteLine("uint tag = reader.ReadTag();");
            writer.WriteLine("if (tag != MutationTag)");
            writer.OpenBlock();
            writer.WriteLine($"throw new {Exception}({ErrorCode}.UnknownMutationTag, \"A record with tag 0x\" + tag.ToString(\"X8\", {Invariant}) + \" is not mutation {display} (tag {Hex(mutation.Tag)}).\");");
            writer.CloseBlock();
            writer.WriteLine();
            writer.WriteLine($"{name} record = ReadArguments(ref reader);");
            writer.WriteLine("reader.EnsureAtEnd();");
            writer.WriteLine("return record;");
            writer.CloseBlock();
            writer.WriteLine($"catch ({Exception} ex) when (ex.Code == {ErrorCode}.MalformedMutation)");
            writer.OpenBlock();
            writer.WriteLine($"throw new {Exception}({ErrorCode}.MalformedMutation, \"Cannot decode mutation {display} (tag {Hex(mutation.Tag)}): \" + ex.Message, ex);");
            writer.CloseBlock();
            writer.CloseBlock();
        }

        private static void EmitRecordJson(SourceWriter writer, MutationSetSpec spec, MutationSpec mutation)
        {
            string name = mutation.RecordName;
            MemberSpec[] members = mutation.Parameters.Select(p => new MemberSpec(p.PropertyName, p.JsonName, p.Type)).ToArray();
            writer.WriteLine("/// <summary>Writes the readable JSON form: an object with one property per argument.</summary>");
            writer.OpenBlock($"public void WriteJson({JsonWriter} writer)");
            writer.WriteLine($"if (writer is null) throw new {ArgumentNull}(nameof(writer));");
            EmitWriteJsonObject(writer, spec, members, "this");
            writer.CloseBlock();
            writer.WriteLine();
            writer.WriteLine("/// <summary>Reads the JSON form written by <see cref=\"WriteJson\"/>; the reader is on the object's start.</summary>");
            writer.OpenBlock($"public static {name} ReadJson(ref {JsonReader} reader)");
            EmitReadJsonObject(writer, spec, members, name);
            writer.CloseBlock();
            writer.WriteLine();
            writer.WriteLine("/// <summary>The readable JSON form, for logs and tools; never used for the journal.</summary>");
            writer.WriteLine($"public string ToJson() => {Json}.ToJson(WriteJson);");
            writer.WriteLine();
            writer.WriteLine("/// <summary>Reads the JSON form written by <see cref=\"ToJson\"/>.</summary>");
            writer.WriteLine($"public static {name} FromJson(string json) => {Json}.FromJson(json, ReadJson);");
        }

        private static void EmitEquality(SourceWriter writer, MutationSpec mutation)
        {
            string name = mutation.RecordName;
            string Compare(int i)
            {
                ParameterSpec p = mutation.Parameters[i];
                return p.Type.NeedsSequenceEquality
                    ? $"__comparer{i}.Equals(this.{p.PropertyName}, other.{p.PropertyName})"
                    : $"global::System.Collections.Generic.EqualityComparer<{p.Type.TypeName}>.Default.Equals(this.{p.PropertyName}, other.{p.PropertyName})";
            }

            writer.WriteLine("/// <summary>Value equality; arrays and lists are compared element by element.</summary>");
            writer.OpenBlock($"public bool Equals({name}? other)");
            writer.WriteLine("if (global::System.Object.ReferenceEquals(this, other)) return true;");
            writer.WriteLine("if (other is null) return false;");
            writer.WriteLines("return " + string.Join("\n    && ", Enumerable.Range(0, mutation.Parameters.Count).Select(Compare)) + ";");
            writer.CloseBlock();
            writer.WriteLine();
            writer.WriteLine("/// <summary>A hash consistent with <see cref=\"Equals(" + name + ")\"/>.</summary>");
            writer.OpenBlock("public override int GetHashCode()");
            writer.WriteLine("var hash = new global::System.HashCode();");
            for (int i = 0; i < mutation.Parameters.Count; i++)
            {
                ParameterSpec p = mutation.Parameters[i];
                writer.WriteLine(p.Type.NeedsSequenceEquality ? $"hash.Add(this.{p.PropertyName}, __comparer{i});" : $"hash.Add(this.{p.PropertyName});");
            }

            writer.WriteLine("return hash.ToHashCode();");
            writer.CloseBlock();
        }
    }
}
