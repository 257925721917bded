import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import javax.imageio.ImageIO;

import org.vim4j.io.IdxDataset;

/**
 * Writes the 10,000 Fashion-MNIST test images (Debian's dataset-fashion-mnist) as 8-bit grey PNG files
 * {@code DIR/NNNNN-LABEL.png}: the inputs of the Spark benchmark.
 *
 *   java -cp 'java/target/vim4j-core-*.jar' benchmarks/spark/FashionMnistPngs.java DIR [IDX_DIR]
 */
public class FashionMnistPngs {
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        IdxDataset d = IdxDataset.read(Path.of(args.length > 1 ? args[1] : "/usr/share/datasets/fashion-mnist"), "t10k");
        Files.createDirectories(dir);
        int w = d.cols(), h = d.rows(), px = w * h;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
        for (int i = 0; i < d.count(); i++) {
            img.getRaster().setDataElements(0, 0, w, h, Arrays.copyOfRange(d.pixels(), i * px, (i + 1) * px));
            ImageIO.write(img, "png", dir.resolve(String.format("%05d-%d.png", i, d.label(i))).toFile());
        }
    }
}
