from kerasgan.utils.files import atomic_path
from kerasgan.utils.files import save_model_atomic
from kerasgan.utils.files import write_json_atomic
from kerasgan.utils.images import image_grid
from kerasgan.utils.images import save_image_grid
