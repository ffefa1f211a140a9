"""The Train a CNN page via qtbot: a tiny run to the end, stop, NaN, checkpoints, download, close."""
import contextlib
import math
import hashlib
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest
import torch

import engine.data as data
import engine.data.download as download
from engine.models import build_model, load_checkpoint, parameter_count
from gui.pages.train_cnn import TrainCnnPage
from gui.pages.train_cnn.views import epoch_note
from test_data import write_idx

N_TRAIN, N_TEST = 160, 60


def bar_digits(n, seed):
    """Class k: a bright horizontal bar at rows 2k..2k+5 (learnable in a few steps), uint8."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 10
    x = rng.integers(0, 50, (n, 28, 28))
    for i, k in enumerate(y):
        x[i, 2 * k:2 * k + 6, 4:24] = 230
    return x, y


@pytest.fixture
def fake_mnist(tmp_path, monkeypatch):
    monkeypatch.setattr(data, "CACHE_DIR", tmp_path / "cache")
    folder = tmp_path / "mnist"
    folder.mkdir()
    for prefix, n, seed in (("train", N_TRAIN, 0), ("t10k", N_TEST, 1)):
        x, y = bar_digits(n, seed)
        write_idx(folder / f"{prefix}-images-idx3-ubyte.gz", x)
        write_idx(folder / f"{prefix}-labels-idx1-ubyte.gz", y)
    return folder


@pytest.fixture
def page(qtbot, fake_mnist):
    page = TrainCnnPage()
    qtbot.addWidget(page)
    page.set_dataset_folder("mnist", str(fake_mnist))
    page.form.dataset_combo.setCurrentIndex(list(data.DATASETS).index("mnist"))
    page.form.train_size_spin.setValue(0)   # all 160
    page.form.test_size_spin.setValue(0)    # all 60
    page.form.batch_spin.setValue(32)
    page.form.epochs_spin.setValue(2)
    page.form.lr_spin.setValue(0.005)
    page.form.device_combo.setCurrentIndex(page.form.device_combo.findData("cpu"))
    yield page
    page.shutdown()


def run_to_end(qtbot, page, timeout=60000):
    with qtbot.waitSignal(page.runner.finished, timeout=timeout) as blocker:
        page.start_button.click()
    return blocker.args[0]


def test_dataset_status_and_layer_table(page):
    assert "160 training / 60 test images" in page.form.dataset_status.text()
    assert page.start_button.isEnabled()
    assert "61,706" in page.form.total_label.text()   # LeNet-5 on 1x28x28
    page.form.arch_combo.setCurrentIndex(page.form.arch_combo.findData("mlp"))
    mlp = build_model("mlp", input_shape=(1, 28, 28))
    assert f"{parameter_count(mlp):,}" in page.form.total_label.text()
    assert page.form.layer_table.rowCount() > 3
    assert page.form.layer_table.item(page.form.layer_table.rowCount() - 1, 1).text() == "10"


def test_grids_are_built_for_the_network_before_a_run(page):
    """Picking a network builds its filter and map boxes (empty), so a run's first snapshot
    only hands over pixels: LeNet-5 has 6 first-layer filters, TinyVGG 8 (or its count)."""
    assert page.views.filter_grid.count == 6 and page.views.map_grid.count == 6
    page.form.arch_combo.setCurrentIndex(page.form.arch_combo.findData("mlp"))
    assert page.views.map_grid.count == 0 and page.views.filter_grid.count > 0   # an MLP: no feature maps
    page.form.arch_combo.setCurrentIndex(page.form.arch_combo.findData("lenet5"))
    assert page.views.filter_grid.count == 6


def test_confusion_caption_does_not_resize_the_curves(page, shown, qtbot):
    """The epoch and accuracy over the confusion matrix change every epoch; they must not
    re-lay-out the page (a growing box title resized the curve panel and redrew its axes)."""
    shown(page, 1300, 900)
    page.views.show_confusion(np.eye(10, dtype=np.int64) * 6, epoch_note(0, 0.5))
    qtbot.wait(20)
    width = page.views.curves.width()
    page.views.show_confusion(np.eye(10, dtype=np.int64) * 6, epoch_note(119, 1.0))
    qtbot.wait(20)
    assert page.views.confusion_note.text() == "After epoch 120: test accuracy 100.0%."
    assert page.views.curves.width() == width


def test_missing_dataset_disables_start_and_says_why(page, qtbot):
    page.form.dataset_combo.setCurrentIndex(list(data.DATASETS).index("cifar10"))
    assert not page.start_button.isEnabled()
    assert "CIFAR-10 not found" in page.form.dataset_status.text()
    assert page.form.download_button.isVisible() or not page.isVisible()
    assert page.form.download_button.text().startswith("Download")


def test_tiny_run_to_the_end(page, qtbot):
    result = run_to_end(qtbot, page)
    assert result.status == "finished"
    counts = page.views.curves.point_counts()
    assert counts["step_loss"] == 10 and counts["test_acc"] == 2   # 160/32 * 2 steps, 2 epochs
    confusion = page.views.confusion_view.values()
    assert confusion.shape == (10, 10) and confusion.sum() == N_TEST
    assert np.trace(confusion) / N_TEST == pytest.approx(result.test_accuracy)
    texts = page.views.prediction_grid.texts()
    assert len(texts) == 16 and all(t[0] in "✓✗" for t in texts)
    assert page.views.filter_grid.count == 6 and page.views.map_grid.count == 6   # LeNet conv1: 6 filters
    assert page.progress_bar.value() == 100
    assert page.start_button.isEnabled() and not page.stop_button.isEnabled()
    assert page.form.dataset_combo.isEnabled() and page.save_button.isEnabled()
    model, meta = page.trained_model()
    assert not model.training and meta["dataset"] == "mnist" and meta["classes"][3] == "3"
    x = data.load_dataset("mnist", meta["source"]).test.tensors[0]
    acc = (model(x).argmax(1) == torch.arange(N_TEST) % 10).float().mean().item()
    assert acc == pytest.approx(result.test_accuracy)   # the very model that was evaluated


def test_stop_mid_run_resets_controls(page, qtbot):
    page.form.epochs_spin.setValue(200)
    page.start_button.click()
    qtbot.waitUntil(lambda: page.views.curves.point_counts()["step_loss"] > 0, timeout=30000)
    assert not page.start_button.isEnabled() and not page.form.arch_combo.isEnabled()
    page.pause_button.click()
    assert page.runner.paused and page.pause_button.text() == "Resume"
    page.pause_button.click()
    assert not page.runner.paused
    with qtbot.waitSignal(page.runner.finished, timeout=30000) as blocker:
        page.stop_button.click()
    assert blocker.args[0].status == "stopped"
    assert "Stopped after" in page.message_label.text()
    assert page.start_button.isEnabled() and page.form.arch_combo.isEnabled()
    assert page.pause_button.text() == "Pause" and not page.pause_button.isEnabled()


def test_huge_learning_rate_gives_a_nan_message(page, qtbot):
    page.form.optimizer_combo.setCurrentIndex(page.form.optimizer_combo.findData("sgd"))
    page.form.lr_spin.setValue(100.0)
    page.form.schedule_combo.setCurrentIndex(page.form.schedule_combo.findData("constant"))
    page.form.seed_spin.setValue(1)   # with this seed the loss is NaN at step 4 (checked at 1-4 threads)
    page.form.epochs_spin.setValue(3)
    messages = []
    page.message.connect(lambda text, level: messages.append((text, level)))
    result = run_to_end(qtbot, page)
    assert result.status == "diverged"
    assert "lower learning rate" in page.message_label.text()
    assert ("error" in page.message_label.styleSheet() or "b00020" in page.message_label.styleSheet())
    assert messages[-1][1] == "error" and "nan" in messages[-1][0].lower()
    assert page.start_button.isEnabled() and not page.stop_button.isEnabled()
    assert page.trained_model() is None   # a diverged model is not offered to other pages


def test_out_of_memory_result_is_a_clear_message(page):
    from engine.train import TrainResult
    page.on_run_finished(TrainResult("out_of_memory", "Training stopped: the CUDA ran out of "
                                  "memory at batch size 64. Try a smaller batch."))
    assert "smaller batch" in page.message_label.text() and page.start_button.isEnabled()


def test_checkpoint_round_trip_and_corrupt_file(page, qtbot, tmp_path):
    run_to_end(qtbot, page)
    path = tmp_path / "lenet.pt"
    assert page.save_checkpoint(path)
    model, meta = page.trained_model()
    other = TrainCnnPage()
    qtbot.addWidget(other)
    other.form.arch_combo.setCurrentIndex(other.form.arch_combo.findData("tinyvgg"))
    assert other.load_checkpoint(path)
    loaded, loaded_meta = other.trained_model()
    x = torch.rand(4, 1, 28, 28)
    assert torch.equal(model(x), loaded(x))
    assert loaded_meta["dataset"] == "mnist" and other.form.arch_combo.currentData() == "lenet5"
    assert other.form.dataset_combo.currentData() == "mnist"
    assert other.views.filter_grid.count == 6
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"garbage")
    assert not other.load_checkpoint(bad)
    assert "not a readable checkpoint" in other.message_label.text()
    still, _ = other.trained_model()   # the previous model is kept
    assert torch.equal(still(x), loaded(x))
    rnn = tmp_path / "rnn.pt"
    torch.save({"format": "strides-gates/1", "meta": {"arch": "nope", "kwargs": {}},
                "state_dict": {}}, rnn)
    assert not other.load_checkpoint(rnn)
    assert "cannot build" in other.message_label.text()


def test_closing_the_window_while_training(qtbot, fake_mnist, qtlog):
    from gui.app import MainWindow
    window = MainWindow(start_page="train_cnn")
    qtbot.addWidget(window)
    page = window.page("train_cnn")
    page.set_dataset_folder("mnist", str(fake_mnist))
    page.form.dataset_combo.setCurrentIndex(list(data.DATASETS).index("mnist"))
    page.form.epochs_spin.setValue(500)
    page.start_button.click()
    qtbot.waitUntil(lambda: page.views.curves.point_counts()["step_loss"] > 0, timeout=30000)
    window.close()
    assert not page.runner.running
    assert not [r for r in qtlog.records if "Destroyed while thread" in r.message]


def test_download_button_fetches_into_the_cache(page, qtbot, tmp_path, monkeypatch):
    """A download over file:// URLs (no network): progress, then the dataset is ready."""
    src = tmp_path / "mirror"
    src.mkdir()
    files = []
    for prefix, n in (("train", 40), ("t10k", 20)):
        x, y = bar_digits(n, 3)
        for kind, arr in (("images-idx3", x), ("labels-idx1", y)):
            fn = f"{prefix}-{kind}-ubyte.gz"
            write_idx(src / fn, arr)
            files.append(download.Resource([(src / fn).as_uri()], fn,
                                           hashlib.md5((src / fn).read_bytes()).hexdigest(),
                                           "FashionMNIST/raw"))
    monkeypatch.setattr(download, "resources", lambda name: files)
    monkeypatch.setattr(data, "DEBIAN_FASHION_MNIST", tmp_path / "no-debian")
    page.form.dataset_combo.setCurrentIndex(list(data.DATASETS).index("fashion_mnist"))
    assert not page.start_button.isEnabled()
    page.form.download_button.click()
    qtbot.waitUntil(lambda: not page.downloading, timeout=30000)
    assert (data.CACHE_DIR / "FashionMNIST" / "raw" / "t10k-images-idx3-ubyte.gz").is_file()
    assert "downloaded" in page.message_label.text()
    assert "40 training / 20 test" in page.form.dataset_status.text()
    assert page.start_button.isEnabled() and not page.form.download_button.isVisibleTo(page)


def test_snapshots_match_torch():
    """What the page draws: first-layer filters, first-block feature maps, predictions."""
    from engine.cnn_snapshot import make_snapshot_fn
    torch.manual_seed(0)
    lenet = build_model("lenet5").eval()
    sample, images = torch.rand(1, 1, 28, 28), torch.rand(5, 1, 28, 28)
    with torch.no_grad():
        snap = make_snapshot_fn(sample, images)(lenet)
        conv = lenet.features[0]
        expected_maps = torch.relu(conv(sample))[0].numpy()
        probs = torch.softmax(lenet(images), 1)
    assert np.allclose(snap["filters"], conv.weight[:, 0].detach().numpy())
    assert np.allclose(snap["maps"], expected_maps, atol=1e-6)
    assert snap["predicted"].tolist() == probs.argmax(1).tolist()
    assert np.allclose(snap["probability"], probs.max(1).values.numpy(), atol=1e-6)
    cifar = build_model("cifarnet", input_shape=(3, 32, 32)).eval()
    with torch.no_grad():
        rgb = make_snapshot_fn(torch.rand(1, 3, 32, 32), torch.rand(2, 3, 32, 32))(cifar)
    assert rgb["filters"].shape == (6, 5, 5, 3)
    assert rgb["filters"].min() >= 0 and rgb["filters"].max() <= 1
    mlp = build_model("mlp").eval()
    with torch.no_grad():
        flat = make_snapshot_fn(sample, images)(mlp)
    assert "maps" not in flat and flat["filters"].shape == (16, 28, 28)
    assert np.allclose(flat["filters"][0], mlp.classifier[1].weight[0].detach().numpy().reshape(28, 28))


def test_files_damaged_after_they_were_found(page, qtbot, fake_mnist):
    images = fake_mnist / "train-images-idx3-ubyte.gz"
    whole = images.read_bytes()
    images.write_bytes(b"broken")          # header unreadable: refused before any thread starts
    page.start_button.click()
    assert not page.runner.running and "is damaged" in page.message_label.text()
    images.write_bytes(whole[:300])        # header fine, body cut short: found while loading
    result = run_to_end(qtbot, page)
    assert result.status == "data_error"
    assert "train-images-idx3-ubyte.gz is damaged" in page.message_label.text()
    assert page.start_button.isEnabled() and page.trained_model() is None


def test_window_closing_during_the_start_click_starts_no_thread(page, qtbot):
    # the Start click paints the page (processEvents) before the worker starts; a close that
    # arrives in that moment must leave no thread running behind the closed window
    from PySide6.QtCore import QTimer
    QTimer.singleShot(0, page.shutdown)
    page.start_training()
    assert not page.runner.running
    assert page.trained_model() is None


# -- fresh install, earlier runs, checkpoints with their curves, failed saves ----------------------
from PySide6.QtCore import Qt                 # noqa: E402
from PySide6.QtTest import QTest              # noqa: E402


def click_to_end(qtbot, page, timeout=60000):
    with qtbot.waitSignal(page.runner.finished, timeout=timeout) as blocker:
        QTest.mouseClick(page.start_button, Qt.LeftButton)
    return blocker.args[0]


def faded(curves):
    return [item for item in curves.loss_plot.listDataItems() if item.zValue() < 0 and item.isVisible()]


def test_a_fresh_install_opens_on_digits_that_train(qtbot, shown, tmp_path, monkeypatch):
    monkeypatch.setattr(data, "CACHE_DIR", tmp_path / "cache")           # nothing downloaded
    monkeypatch.setattr(data, "DEBIAN_FASHION_MNIST", tmp_path / "no-debian")
    page = TrainCnnPage()
    shown(page, 1060, 600)
    assert page.settings.dataset in ("generated", "sklearn_digits")
    assert "training" in page.form.dataset_status.text() and page.start_button.isEnabled()
    QTest.mouseClick(page.start_button, Qt.LeftButton)
    assert page.runner.running and not page.start_button.isEnabled()
    qtbot.waitUntil(lambda: page.views.curves.point_counts()["step_loss"] > 0, timeout=30000)
    assert "step" in page.status_label.text()
    with qtbot.waitSignal(page.runner.finished, timeout=30000) as blocker:
        QTest.mouseClick(page.stop_button, Qt.LeftButton)
    assert blocker.args[0].status == "stopped"
    page.shutdown()


def test_two_seeded_runs_leave_one_faded_run_and_clear_removes_it(page, qtbot, shown):
    shown(page, 1060, 600)
    assert not page.views.clear_runs_button.isEnabled()          # nothing to clear yet
    first = click_to_end(qtbot, page)
    loss = page.views.curves.step_loss.getData()[1].copy()
    assert faded(page.views.curves) == []
    second = click_to_end(qtbot, page)                           # the same seed: the same run
    runs = page.views.curves.previous_runs()
    assert len(runs) == 1 and "seed 0" in runs[0] and f"{first.test_accuracy:.1%}" in runs[0]
    assert page.views.curves.runs_legend_text() == runs[0]
    (old,) = faded(page.views.curves)
    np.testing.assert_allclose(old.getData()[1], loss, rtol=1e-6)
    np.testing.assert_allclose(page.views.curves.step_loss.getData()[1], loss, rtol=1e-5)
    assert second.test_accuracy == pytest.approx(first.test_accuracy)
    assert page.views.clear_runs_button.isEnabled()
    QTest.mouseClick(page.views.clear_runs_button, Qt.LeftButton)
    assert page.views.curves.previous_runs() == [] and faded(page.views.curves) == []
    assert page.views.curves.runs_legend_text() == ""
    assert page.views.curves.point_counts()["step_loss"] == 10   # the current run stays
    assert not page.views.clear_runs_button.isEnabled()


def test_a_loaded_checkpoint_shows_its_own_curves_and_confusion(page, qtbot, tmp_path):
    result = click_to_end(qtbot, page)
    curves = page.views.curves
    loss, acc = curves.step_loss.getData()[1].copy(), curves.test_acc.getData()[1].copy()
    confusion = page.views.confusion_view.values().copy()
    path = tmp_path / "run.pt"
    assert page.save_checkpoint(path)
    page.form.seed_spin.setValue(5)                   # another run: other curves, other matrix
    page.form.lr_spin.setValue(0.02)
    click_to_end(qtbot, page)
    assert not np.array_equal(page.views.confusion_view.values(), confusion)
    assert page.load_checkpoint(path)
    np.testing.assert_allclose(curves.step_loss.getData()[1], loss)
    np.testing.assert_allclose(curves.test_acc.getData()[1], acc)
    assert np.array_equal(page.views.confusion_view.values(), confusion)
    assert f"{result.test_accuracy:.1%}" in page.views.confusion_note.text()
    assert len(curves.previous_runs()) == 2            # both runs stay, faded
    other = TrainCnnPage()                             # a fresh page: no earlier run at all
    qtbot.addWidget(other)
    assert other.load_checkpoint(path)
    np.testing.assert_allclose(other.views.curves.step_loss.getData()[1], loss)
    assert np.array_equal(other.views.confusion_view.values(), confusion)
    assert other.views.curves.previous_runs() == []
    assert other.views.filter_grid.count == 6


def test_an_old_checkpoint_without_history_shows_no_stale_matrix(page, qtbot, tmp_path):
    from engine.models import save_checkpoint
    click_to_end(qtbot, page)
    model, meta = page.trained_model()
    del meta["history"], meta["confusion"]
    save_checkpoint(tmp_path / "old.pt", model, meta)
    assert page.load_checkpoint(tmp_path / "old.pt")
    assert page.views.curves.point_counts()["step_loss"] == 0
    assert "no confusion matrix" in page.views.confusion_note.text()
    assert "accuracy" not in page.views.confusion_note.text()


@pytest.fixture
def save_folder(tmp_path):
    """A folder whose write permission `read_only(folder)` takes away. Root writes anywhere,
    so as root the save inside runs with the effective uid of `nobody` (the folder then sits
    where nobody can reach it)."""
    if os.geteuid() != 0:
        yield tmp_path / "ro"
        return
    folder = Path(tempfile.mkdtemp(prefix="train-page-")) / "ro"
    folder.parent.chmod(0o755)
    yield folder
    shutil.rmtree(folder.parent, ignore_errors=True)


@contextlib.contextmanager
def read_only(folder):
    folder.chmod(0o555)
    root = os.geteuid() == 0
    try:
        if root:
            os.seteuid(65534)
        yield
    finally:
        if root:
            os.seteuid(0)
        folder.chmod(0o755)


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_a_failing_save_keeps_the_old_file_and_says_why(page, qtbot, save_folder):
    click_to_end(qtbot, page)
    folder = save_folder
    folder.mkdir()
    path = folder / "lenet.pt"
    assert page.save_checkpoint(path)
    before = path.read_bytes()
    page.form.seed_spin.setValue(9)
    click_to_end(qtbot, page)                           # other weights to save
    messages = []
    page.message.connect(lambda text, level: messages.append((text, level)))
    path.chmod(0o666)        # writing the file itself in place would succeed: only a rename fails
    with read_only(folder):
        assert not page.save_checkpoint(path)
    assert path.read_bytes() == before and sorted(p.name for p in folder.iterdir()) == ["lenet.pt"]
    assert "lenet.pt" in page.message_label.text() and "unchanged" in page.message_label.text()
    assert "b00020" in page.message_label.styleSheet() and messages[-1][1] == "error"
    assert page.save_checkpoint(path) and path.read_bytes() != before
    assert "Saved" in page.message_label.text()
    _, meta = load_checkpoint(path)
    assert meta["settings"]["seed"] == 9


def test_an_error_is_taken_back_once_its_cause_is_fixed(page, qtbot, fake_mnist):
    images = fake_mnist / "train-images-idx3-ubyte.gz"
    images.write_bytes(b"broken")
    QTest.mouseClick(page.start_button, Qt.LeftButton)
    assert "is damaged" in page.message_label.text()
    notices = []
    page.message.connect(lambda text, level: notices.append((text, level)))
    page.form.lr_spin.setValue(0.01)                   # not its cause: the message stays
    assert "is damaged" in page.message_label.text() and notices == []
    page.form.dataset_combo.setCurrentIndex(list(data.DATASETS).index("generated"))
    assert page.message_label.text() == "" and notices == [("", "clear")]
    assert page.start_button.isEnabled()


def test_the_start_click_leaves_the_views_where_they_are(page, qtbot, shown):
    """A run's end message takes a line above the views; the next Start empties it but keeps
    the line, and the next earlier run's legend line has its room already: no view changes
    size in the click (a resize lays out and draws every axis of the curves and the matrix
    anew, in the GUI thread, while the worker starts)."""
    shown(page, 1060, 600)
    click_to_end(qtbot, page)
    click_to_end(qtbot, page)                       # one earlier run: its legend is shown
    assert page.message_label.text().startswith("Finished") and page.message_label.isVisible()
    views = (page.views.curves, page.views.confusion_view, page.views.tabs)
    before = [v.geometry() for v in views]
    plots = [p.geometry() for p in (page.views.curves.loss_plot, page.views.curves.acc_plot)]
    with qtbot.waitSignal(page.runner.finished, timeout=60000):
        QTest.mouseClick(page.start_button, Qt.LeftButton)
        assert page.message_label.text() == "" and page.message_label.isVisible()
        assert [v.geometry() for v in views] == before
        assert [p.geometry() for p in (page.views.curves.loss_plot,
                                       page.views.curves.acc_plot)] == plots
    assert len(page.views.curves.previous_runs()) == 2


def test_a_trained_model_reaches_the_draw_page_through_the_shared_state(page, qtbot):
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from gui.pages.draw_digit import DrawDigitPage
    seen = []
    page.app_state.modelTrained.connect(seen.append)
    draw = DrawDigitPage(app_state=page.app_state)
    qtbot.addWidget(draw)
    with qtbot.waitSignal(page.runner.finished, timeout=60000):
        QTest.mouseClick(page.start_button, Qt.LeftButton)
    assert len(seen) == 1 and seen[0] is page.app_state.trained_model
    mine, _meta = page.trained_model()
    x = torch.rand(1, 1, 28, 28)
    with torch.no_grad():                       # the same weights, a copy the page may not touch
        assert torch.allclose(seen[0].model(x), mine(x))
    assert draw.model_box.use_trained()
    with torch.no_grad():
        assert torch.allclose(draw.model_box.model(x), mine(x))


# -- the loop as code (the "PyTorch code" tab) and the notes' recipe ------------------------------
def _type_into(spin, text):
    spin.setFocus()
    spin.selectAll()
    QTest.keyClicks(spin, text)
    QTest.keyClick(spin, Qt.Key_Return)


def _show_code_tab(page, shown):
    shown(page, 1020, 676)
    tabs = page.views.tabs
    index = tabs.indexOf(page.code_panel)
    QTest.mouseClick(tabs.tabBar(), Qt.LeftButton, pos=tabs.tabBar().tabRect(index).center())
    assert tabs.currentWidget() is page.code_panel and page.code_panel.isVisible()


def _run_shown(code, inject=None):
    if inject is not None:   # the data lines replaced by tiny TensorDatasets
        lines = [("train_set, test_set = TINY" if line.startswith("train_set, test_set, _ =")
                  else line) for line in code.splitlines()]
        assert lines != code.splitlines()
        code = "\n".join(lines)
    scope = {"TINY": inject}
    torch.set_num_threads(1)
    exec(compile(code, "<shown loop>", "exec"), scope)
    return scope


def test_the_code_tab_follows_the_controls_and_the_notes_recipe(page, shown):
    from engine.train_job import build_cnn
    _show_code_tab(page, shown)
    code = page.code_panel.code()
    assert "torch.optim.SGD" not in code and "torch.optim.Adam(model.parameters(), lr=0.005)" in code
    assert "batch_size=32, shuffle=True" in code and "range(2)" in code
    assert "OneCycleLR(optimizer, max_lr=0.005, total_steps=2 * len(train_loader))" in code
    assert f'root="{page.sources.folder("mnist")}"' in code
    QTest.mouseClick(page.form.notes_button, Qt.LeftButton)
    s = page.settings
    assert (s.optimizer, s.lr, s.schedule, s.momentum, s.batch_size) == (
        "sgd", 0.001, "constant", 0.9, 4)
    assert page.form.optimizer_combo.currentData() == "sgd" and page.form.batch_spin.value() == 4
    assert page.form.schedule_combo.currentText() == "constant"
    code = page.code_panel.code()
    assert "torch.optim.SGD(model.parameters(), lr=0.001, momentum=0.9)" in code
    assert "scheduler" not in code
    assert "batch_size=4, shuffle=True" in code
    _type_into(page.form.lr_spin, "0.02")
    _type_into(page.form.batch_spin, "16")
    _type_into(page.form.epochs_spin, "1")
    code = page.code_panel.code()
    assert "lr=0.02, momentum=0.9)" in code and "batch_size=16, shuffle=True" in code
    assert "range(1)" in code
    assert "nn.Conv2d(1, 6, kernel_size=5, padding=2)" in code
    page.form.arch_combo.setCurrentIndex(page.form.arch_combo.findData("mlp"))
    code = page.code_panel.code()
    assert "nn.Conv2d" not in code and "nn.Linear(784, 72)" in code
    # as shown: it reads the page's (fake) MNIST folder and trains the page's seeded MLP
    scope = _run_shown(code)
    assert len(scope["train_set"]) == 160 and math.isfinite(scope["loss"].item())
    start = build_cnn(s, data.DATASETS["mnist"])
    assert all(not torch.equal(a, b) for a, b in
               zip(scope["model"].parameters(), start.parameters()))


def test_the_shown_code_runs_on_injected_data(page, shown):
    _show_code_tab(page, shown)
    QTest.mouseClick(page.form.notes_button, Qt.LeftButton)
    page.form.arch_combo.setCurrentIndex(page.form.arch_combo.findData("tinyvgg"))
    g = torch.Generator().manual_seed(1)
    x, y = torch.rand(8, 1, 28, 28, generator=g), torch.arange(8) % 10
    tiny = (torch.utils.data.TensorDataset(x, y), torch.utils.data.TensorDataset(x, y))
    scope = _run_shown(page.code_panel.code(), tiny)
    assert math.isfinite(scope["loss"].item()) and 0.0 <= scope["accuracy"] <= 1.0
    assert isinstance(scope["optimizer"], torch.optim.SGD)
    assert scope["optimizer"].param_groups[0]["momentum"] == 0.9
    assert scope["train_loader"].batch_size == 4


def test_a_runs_legend_label_says_its_recipe_and_schedule():
    from dataclasses import asdict
    from engine.train_job import CnnRunConfig
    from gui.pages.train_cnn.checkpoints import run_label
    default = asdict(CnnRunConfig())
    assert run_label(default, 0.912) == ("LeNet-5 · Adam 0.008 one-cycle · batch 128 · seed 0: "
                                         "91.2%")
    notes = dict(default, optimizer="sgd", lr=0.001, schedule="constant", batch_size=4, seed=3)
    assert run_label(notes) == "LeNet-5 · SGD 0.001 · batch 4 · seed 3"
    saved_before_schedules = {k: v for k, v in notes.items() if k != "schedule"}
    assert run_label(saved_before_schedules) == "LeNet-5 · SGD 0.001 · batch 4 · seed 3"


def test_the_status_line_shows_the_rate_the_one_cycle_schedule_gave_that_step(page, qtbot):
    """100 steps (160 images, batch 32, 20 epochs), one-cycle peaking at 0.005: the status
    line's 'lr' is torch's OneCycleLR rate for the step it names."""
    import re
    assert page.settings.schedule == "onecycle"
    page.form.epochs_spin.setValue(20)
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.Adam([p], lr=0.005)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.005, total_steps=100)
    rates = []
    for _ in range(100):
        rates.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    seen = []

    def record():
        found = re.search(r"step (\d+)/100 · lr ([0-9.]+)", page.status_label.text())
        if found:
            seen.append((int(found[1]), float(found[2])))

    from PySide6.QtCore import QTimer
    poll = QTimer(interval=1)          # reads the label as the window shows it, while it trains
    poll.timeout.connect(record)
    poll.start()
    run_to_end(qtbot, page)
    poll.stop()
    assert seen, page.status_label.text()
    for step, lr in seen:
        assert lr == pytest.approx(rates[step - 1], abs=5e-6)
