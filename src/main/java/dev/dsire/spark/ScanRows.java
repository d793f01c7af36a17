package dev.dsire.spark;

import dev.dsire.scan.ParquetColumns;
import dev.dsire.scan.ScanRecord;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/** Scan records as Spark rows of {@link Columns}. */
final class ScanRows {
    static final StructType SCHEMA = schema();

    private ScanRows() {}

    private static StructType schema() {
        List<StructField> f = new ArrayList<>();
        for (ParquetColumns.Column c : ParquetColumns.ALL) {
            DataType t = switch (c.type()) {
                case STRING -> DataTypes.StringType;
                case INT -> DataTypes.IntegerType;
                case LONG -> DataTypes.LongType;
                case FLOAT_ARRAY -> DataTypes.createArrayType(DataTypes.FloatType, false);
            };
            f.add(DataTypes.createStructField(c.name(), t, !c.name().equals("path") && !c.name().equals("status")));
        }
        return DataTypes.createStructType(f);
    }

    static Row of(ScanRecord r, String model) {
        return RowFactory.create(r.path(), r.size(), r.mtime(), r.headerHash(), r.format(), r.rank(), r.layers(), r.dtype(),
                r.bytes(), r.trainImages(), r.trainGroup(), r.error(), r.layoutFingerprint(), r.layoutJson(), r.prediction(),
                r.votes(), r.answer(), r.probabilities(), floats(r.spectra()), model, r.status().key(), r.family());
    }

    /** The scan database's packed little-endian float32 spectra as an array (null stays null). */
    static float[] floats(byte[] packed) {
        if (packed == null) {
            return null;
        }
        float[] f = new float[packed.length / 4];
        ByteBuffer.wrap(packed).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(f);
        return f;
    }
}
