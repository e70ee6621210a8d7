using System.Linq;
using SqlSync.Generators.Helpers;
using SqlSync.Generators.Model;

namespace SqlSync.Generators;

public sealed partial class MutationGenerator
{
    internal static partial class Emitter
    {
        private static string WriteStatement(MutationSetSpec spec, ValueTypeRef type, string value) => type.Kind switch
        {
            ValueKind.Primitive => $"writer.Write{type.ShapeName}({value});",
            ValueKind.Enum => $"writer.Write{type.Element!.ShapeName}(({type.Element.TypeName}){value});",
            _ => $"{Codec(spec)}.Write{type.ShapeName}(writer, {value});",
        };

        private static string ReadExpression(MutationSetSpec spec, ValueTypeRef type) => type.Kind switch
        {
            ValueKind.Primitive => $"reader.Read{type.ShapeName}()",
            ValueKind.Enum => $"({type.TypeName})reader.Read{type.Element!.ShapeName}()",
            _ => $"{Codec(spec)}.Read{type.ShapeName}(ref reader)",
        };

        private static string JsonWriteStatement(MutationSetSpec spec, ValueTypeRef type, string value) => type.Kind switch
        {
            ValueKind.Primitive => $"{Json}.Write{type.ShapeName}(writer, {value});",
            ValueKind.Enum => $"{Json}.WriteEnum<{type.TypeName}>(writer, {value});",
            _ => $"{Codec(spec)}.WriteJson{type.ShapeName}(writer, {value});",
        };

        private static string JsonReadExpression(MutationSetSpec spec, ValueTypeRef type) => type.Kind switch
        {
            ValueKind.Primitive => $"{Json}.Read{type.ShapeName}(ref reader)",
            ValueKind.Enum => $"{Json}.ReadEnum<{type.TypeName}>(ref reader)",
            _ => $"{Codec(spec)}.ReadJson{type.ShapeName}(ref reader)",
        };

        /// <summary>An expression for an equality comparer that compares arrays and lists element by element.</summary>
        private static string Comparer(ValueTypeRef type)
        {
            if (type.NeedsSequenceEquality)
            {
                if (type.Kind == ValueKind.NullableReference)
                {
                    return Comparer(type.Element!);
                }

                if (type.Kind == ValueKind.Primitive)
                {
                    return "new global::SqlSync.Mutations.Generated.SequenceEqualityComparer<byte>()";
                }

                return $"new global::SqlSync.Mutations.Generated.SequenceEqualityComparer<{type.Element!.TypeName}>({Comparer(type.Element)})";
            }

            return $"global::System.Collections.Generic.EqualityComparer<{type.TypeName}>.Default";
        }

        private static void EmitWriteJsonObject(SourceWriter writer, MutationSetSpec spec, MemberSpec[] members, string owner)
        {
            writer.WriteLine("writer.WriteStartObject();");
            foreach (MemberSpec member in members)
            {
                writer.WriteLine($"writer.WritePropertyName(\"{member.JsonName}\");");
                writer.WriteLine(JsonWriteStatement(spec, member.Type, owner + "." + member.PropertyName));
            }

            writer.WriteLine("writer.WriteEndObject();");
        }

        private static void EmitReadJsonObject(SourceWriter writer, MutationSetSpec spec, MemberSpec[] members, string typeName)
        {
            writer.WriteLine($"{Json}.Expect(ref reader, {JsonTokenType}.StartObject);");
            for (int i = 0; i < members.Length; i++)
            {
                writer.WriteLine($"{members[i].Type.TypeName} value{i} = default!;");
                writer.WriteLine($"bool seen{i} = false;");
            }

            writer.OpenBlock($"while ({Json}.ReadNextProperty(ref reader))");
            for (int i = 0; i < members.Length; i++)
            {
                writer.OpenBlock($"{(i == 0 ? "" : "else ")}if (reader.ValueTextEquals(\"{members[i].JsonName}\"))");
                writer.WriteLine($"{Json}.ReadNext(ref reader);");
                writer.WriteLine($"value{i} = {JsonReadExpression(spec, members[i].Type)};");
                writer.WriteLine($"seen{i} = true;");
                writer.CloseBlock();
            }

            if (members.Length == 0)
            {
                writer.WriteLine($"{Json}.SkipPropertyValue(ref reader);");
            }
            else
            {
                writer.OpenBlock("else");
                writer.WriteLine($"{Json}.SkipPropertyValue(ref reader);");
                writer.CloseBlock();
            }

            writer.CloseBlock();
            for (int i = 0; i < members.Length; i++)
            {
                writer.WriteLine($"if (!seen{i}) throw {Json}.MissingProperty(\"{typeName}\", \"{members[i].JsonName}\");");
            }

            string arguments = string.Join(", ", Enumerable.Range(0, members.Length).Select(i => "value" + i));
            writer.WriteLine($"return new {typeName}({arguments});");
        }

        private static void EmitCodec(SourceWriter writer, MutationSetSpec spec)
        {
            writer.WriteLine("/// <summary>Binary and JSON codecs of the composite types the mutations of this class use.</summary>");
            writer.OpenBlock("private static class MutationValueCodec");
            if (spec.Shapes.Any(s => s.Type.Kind is ValueKind.Array or ValueKind.ReadOnlyList))
            {
                writer.WriteLine("private static T[] NewArray<T>(int count) => count == 0 ? global::System.Array.Empty<T>() : new T[count];");
            }

            foreach (CodecShapeSpec shape in spec.Shapes)
            {
                writer.WriteLine();
                EmitShape(writer, spec, shape);
            }

            writer.CloseBlock();
        }

        private static void EmitShape(SourceWriter writer, MutationSetSpec spec, CodecShapeSpec shape)
        {
            ValueTypeRef type = shape.Type;
            string t = type.TypeName;
            string s = type.ShapeName;
            ValueTypeRef? element = type.Element;
            writer.OpenBlock($"public static void Write{s}({Writer} writer, {t} value)");
            switch (type.Kind)
            {
                case ValueKind.NullableValue:
                case ValueKind.NullableReference:
                    writer.WriteLine("writer.WriteBoolean(value is not null);");
                    writer.WriteLine($"if (value is not null) {WriteStatement(spec, element!, type.Kind == ValueKind.NullableValue ? "value.GetValueOrDefault()" : "value")}");
                    break;
                case ValueKind.Array:
                case ValueKind.List:
                case ValueKind.ReadOnlyList:
                    string count = type.Kind == ValueKind.Array ? "Length" : "Count";
                    writer.WriteLine($"if (value is null) throw new {ArgumentNull}(nameof(value), \"A non-nullable collection in a mutation record is null.\");");
                    writer.WriteLine($"writer.WriteCount(value.{count});");
                    writer.WriteLine($"for (int i = 0; i < value.{count}; i++) {WriteStatement(spec, element!, "value[i]")}");
                    break;
                default:
                    if (type.IsReferenceType)
                    {
                        writer.WriteLine($"if (value is null) throw new {ArgumentNull}(nameof(value), \"A non-nullable object in a mutation record is null.\");");
                    }

                    foreach (MemberSpec member in shape.Members)
                    {
                        writer.WriteLine(WriteStatement(spec, member.Type, "value." + member.PropertyName));
                    }

                    break;
            }

            writer.CloseBlock();
            writer.WriteLine();
            writer.OpenBlock($"public static {t} Read{s}(ref {Reader} reader)");
            switch (type.Kind)
            {
                case ValueKind.NullableValue:
                case ValueKind.NullableReference:
                    writer.WriteLine($"return reader.ReadBoolean() ? ({t}){ReadExpression(spec, element!)} : null;");
                    break;
                case ValueKind.List:
                    writer.WriteLine("int count = reader.ReadCount();");
                    writer.WriteLine($"var result = new global::System.Collections.Generic.List<{element!.TypeName}>(count);");
                    writer.WriteLine($"for (int i = 0; i < count; i++) result.Add({ReadExpression(spec, element)});");
                    writer.WriteLine("return result;");
                    break;
                case ValueKind.Array:
                case ValueKind.ReadOnlyList:
                    writer.WriteLine("int count = reader.ReadCount();");
                    writer.WriteLine($"var result = NewArray<{element!.TypeName}>(count);");
                    writer.WriteLine($"for (int i = 0; i < count; i++) result[i] = {ReadExpression(spec, element)};");
                    writer.WriteLine("return result;");
                    break;
                default:
                    string reads = string.Join(", ", shape.Members.Select(m => ReadExpression(spec, m.Type)));
                    writer.WriteLine($"return new {t}({reads});");
                    break;
            }

            writer.CloseBlock();
            writer.WriteLine();
            EmitShapeJson(writer, spec, shape);
        }

        private static void EmitShapeJson(SourceWriter writer, MutationSetSpec spec, CodecShapeSpec shape)
        {
            ValueTypeRef type = shape.Type;
            string t = type.TypeName;
            string s = type.ShapeName;
            ValueTypeRef? element = type.Element;
            writer.OpenBlock($"public static void WriteJson{s}({JsonWriter} writer, {t} value)");
            switch (type.Kind)
            {
                case ValueKind.NullableValue:
                case ValueKind.NullableReference:
                    writer.WriteLine($"if (value is null) writer.WriteNullValue(); else {JsonWriteStatement(spec, element!, type.Kind == ValueKind.NullableValue ? "value.GetValueOrDefault()" : "value")}");
                    break;
                case ValueKind.Array:
                case ValueKind.List:
                case ValueKind.ReadOnlyList:
                    string count = type.Kind == ValueKind.Array ? "Length" : "Count";
                    writer.WriteLine($"if (value is null) throw new {ArgumentNull}(nameof(value), \"A non-nullable collection in a mutation record is null.\");");
                    writer.WriteLine("writer.WriteStartArray();");
                    writer.WriteLine($"for (int i = 0; i < value.{count}; i++) {JsonWriteStatement(spec, element!, "value[i]")}");
                    writer.WriteLine("writer.WriteEndArray();");
                    break;
                default:
                    if (type.IsReferenceType)
                    {
                        writer.WriteLine($"if (value is null) throw new {ArgumentNull}(nameof(value), \"A non-nullable object in a mutation record is null.\");");
                    }

                    EmitWriteJsonObject(writer, spec, shape.Members.ToArray(), "value");
                    break;
            }

            writer.CloseBlock();
            writer.WriteLine();
            writer.OpenBlock($"public static {t} ReadJson{s}(ref {JsonReader} reader)");
            switch (type.Kind)
            {
                case ValueKind.NullableValue:
                case ValueKind.NullableReference:
                    writer.WriteLine($"return reader.TokenType == {JsonTokenType}.Null ? null : ({t}){JsonReadExpression(spec, element!)};");
                    break;
                case ValueKind.Array:
                case ValueKind.List:
                case ValueKind.ReadOnlyList:
                    writer.WriteLine($"{Json}.Expect(ref reader, {JsonTokenType}.StartArray);");
                    writer.WriteLine($"var items = new global::System.Collections.Generic.List<{element!.TypeName}>();");
                    writer.WriteLine($"while ({Json}.ReadNextElement(ref reader)) items.Add({JsonReadExpression(spec, element)});");
                    writer.WriteLine(type.Kind == ValueKind.List ? "return items;" : "return items.ToArray();");
                    break;
                default:
                    EmitReadJsonObject(writer, spec, shape.Members.ToArray(), t);
                    break;
            }

            writer.CloseBlock();
        }
    }
}
