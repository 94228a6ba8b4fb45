// SafeTensors module.
